"""A handler's cold start imports only what its invocations use (issue 13): with tracing off, no
handler loads the X-Ray SDK; with tracing on, the real tracer is there. The import graph is checked in
fresh interpreters, never timed here (`make bench` times it: bench/cold_import.py)."""

from __future__ import annotations

import pytest

from bench.cold_import import cold_import, handler_modules, lambda_environment
from billing.handlers.tracing import Untraced
from billing.settings import tracing_enabled

# Being split by another engineer (issue 13's brief leaves the module alone): it still builds
# Powertools' Tracer itself, which imports the X-Ray SDK whether or not tracing is on.
NOT_YET: set[str] = set()  # handlers still building Tracer() themselves: none


def test_no_handler_loads_the_xray_sdk_with_tracing_off() -> None:
    # Given every handler of the template, tracing off as on the local stack
    modules = [m for m in handler_modules() if m not in NOT_YET]
    assert len(modules) > 15
    # When all are imported into one fresh interpreter
    imported = cold_import(modules[0], lambda_environment(), *modules[1:])
    # Then not one of them brought in the X-Ray SDK
    assert not imported.loaded("aws_xray_sdk")


def test_no_handler_loads_reportlab_before_it_draws_a_pdf() -> None:
    # Given every handler of the template and the page renderer they render pages with
    modules = handler_modules()
    imported = cold_import(modules[0], lambda_environment(), *modules[1:], "billing.adapters.renderer")
    assert imported.loaded("billing.adapters.renderer")
    # Then the PDF layout, ReportLab and Pillow wait for the first PDF (the billing worker's render)
    assert not imported.loaded("billing.adapters.invoice_pdf")
    assert not imported.loaded("reportlab")
    assert not imported.loaded("PIL")


def test_a_traced_handler_gets_the_xray_tracer() -> None:
    # Given tracing on, as in Lambda with Tracing: Active
    env = lambda_environment()
    env.pop("POWERTOOLS_TRACE_DISABLED")
    env["LAMBDA_TASK_ROOT"] = "/var/task"
    # When a handler is imported, then Powertools' tracer (and the SDK) is loaded
    assert cold_import("billing.handlers.issue_invoices", env).loaded("aws_xray_sdk")


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "0"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),
    ],
)
def test_tracing_is_on_only_in_lambda_and_not_disabled(environ: dict[str, str], on: bool) -> None:
    assert tracing_enabled(environ) is on


def test_untraced_decorators_return_the_function_itself() -> None:
    def handler(event: dict[str, object], context: object) -> str:
        return "done"

    tracer = Untraced()
    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_lambda_handler(capture_response=False, capture_error=False)(handler) is handler
    assert tracer.capture_method(capture_response=False, capture_error=False)(handler) is handler


def test_the_merchant_api_leaves_boto3_and_babel_to_the_requests_that_use_them() -> None:
    # Given the merchant API's handler, imported cold (the largest handler: resolver, pydantic models)
    imported = cold_import("billing.handlers.merchant_api", lambda_environment())
    # Then neither Powertools' idempotency layer (boto3, s3transfer: writes only) nor Babel's locale
    # data (a country to check) is loaded before a request needs them
    assert not imported.loaded("boto3")
    assert not imported.loaded("s3transfer")
    assert not imported.loaded("babel")


def test_the_page_choices_api_leaves_the_plan_switch_to_the_request_that_makes_one() -> None:
    # Given the customer-choices handler (stop automatic payment, language, plan switch), imported cold
    imported = cold_import("billing.handlers.customer_choices_api", lambda_environment())
    # Then the plan-switch use case and its pydantic documents are not loaded for the other choices
    assert imported.loaded("billing.handlers.customer_choices_api")
    assert not imported.loaded("billing.services.subscriptions.page_switch")
    assert not imported.loaded("billing.services.subscriptions.fields")


def test_the_scheduled_jobs_and_bank_inboxes_read_their_event_models_at_the_event() -> None:
    # Given the functions whose events are read by pydantic models (billing.handlers.events), which
    # imported no pydantic before their events were modelled
    modules = [
        "billing.handlers.start_billing_run",
        "billing.handlers.send_reminders",
        "billing.handlers.collect_payments",
        "billing.handlers.autogiro_export",
        "billing.handlers.autogiro_import",
        "billing.handlers.bgmax_import",
        "billing.handlers.price_changes",
        # and the workers of our own queues, whose bodies billing.handlers.messages reads
        "billing.handlers.issue_invoices",
        "billing.handlers.deliver_webhooks",
    ]
    # When each is imported cold, then the models (and pydantic) wait for the first event
    for module in modules:
        imported = cold_import(module, lambda_environment())
        assert not imported.loaded("billing.handlers.events"), module
        assert not imported.loaded("billing.handlers.messages"), module
        assert not imported.loaded("pydantic"), module
