"""Lambda: choices the customer makes on the invoice page (template: CustomerChoicesFunction).

POST /v1/pages/{token}/autopay/stop   stop the card mandate or Autogiro in force on this invoice
POST /v1/pages/{token}/language       field `language` (sv, en): the page's language, remembered
POST /v1/pages/{token}/plan           fields `plan`, `basis`, `quoted`: the plan switch the page's
                                      advice offers, through the plan-change use case
                                      (billing.services.subscriptions.page_switch)
POST /v1/pages/{token}/price-change   field `choice` (accept, switch, leave) on a price-change notice's
                                      page (docs/price-changes.md): 303 back to the page, re-rendered

Answers 303 back to the re-rendered page's summary, where the method is gone and the invoice can be
paid by hand; a confirmation email has gone out (billing.services.payment_control). Nothing to stop
(already stopped, paid, never automatic) also goes back to the page, which says how to pay. Changing
method is the other method's own flow, linked from the page. Works without JavaScript.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.http import form_fields
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import form_refused, invoice_page, not_found, see_other
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, NoAutopay, PermanentError, SwitchRefused
from billing.wiring.customer import stop_autopay, switch_language, switch_plan_from_page

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _back(token: str) -> Response[Any]:
    return see_other(invoice_page(token, "block-summary"))


@app.post("/v1/pages/<token>/autopay/stop")
def stop(token: str) -> Response[Any]:
    try:
        stopped = stop_autopay()(token)
    except InvoiceNotFound:
        return not_found()
    except NoAutopay:
        return _back(token)
    except PermanentError as exc:
        logger.warning("autopay not stopped", extra={"field": exc.field, "code": exc.code})
        return Response(409, "text/plain; charset=utf-8", exc.reason)
    metrics.add_metric(name=f"AutopayStopped_{stopped.method}", unit=MetricUnit.Count, value=1)
    return _back(token)


@app.post("/v1/pages/<token>/language")
def language(token: str) -> Response[Any]:
    try:
        form = form_fields(app.current_event.raw_event)  # a body that is no form is a 4xx, never a 5xx
        switch_language()(token, form.get("language"))
    except InvoiceNotFound:
        return not_found()
    except PermanentError as exc:
        return form_refused(exc)
    return see_other(invoice_page(token))


@app.post("/v1/pages/<token>/plan")
def switch_plan(token: str) -> Response[Any]:
    try:
        form = form_fields(app.current_event.raw_event)  # a body that is no form is a 4xx, never a 5xx
        switched = switch_plan_from_page()(token, form)
    except InvoiceNotFound:
        return not_found()
    except SwitchRefused as exc:
        logger.info("plan switch refused", extra={"code": exc.code})
        return _refused(token, exc.reason)
    except PermanentError as exc:
        return form_refused(exc)
    if switched.new:
        metrics.add_metric(name="PlanSwitchedFromPage", unit=MetricUnit.Count, value=1)
    return see_other(invoice_page(token, "block-plan-fit"))


def _refused(token: str, reason: str) -> Response[Any]:
    """409 with a page a person can read (no JavaScript needed): why, and the way back to the
    re-rendered invoice page, which shows today's terms."""
    back = escape(invoice_page(token, "block-plan-fit"))
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Not switched</title>'
        '</head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;'
        'padding:0 1rem">'
        f'<h1>Not switched</h1><p>{escape(reason)}.</p><p><a href="{back}">Back to your invoice</a></p>'
        "</body></html>"
    )
    return Response(409, "text/html; charset=utf-8", body, headers={"Cache-Control": "no-store"})


@app.post("/v1/pages/<token>/price-change")
def price_change(token: str) -> Response[Any]:
    from billing.services.price_changes.choose import ChoiceClosed, NoticeNotFound
    from billing.wiring.price_change import choose_on_notice

    try:
        form = form_fields(app.current_event.raw_event)
        notice = choose_on_notice()(token, form.get("choice"))
    except NoticeNotFound:
        return not_found()
    except PermanentError as exc:
        return form_refused(exc, 409 if isinstance(exc, ChoiceClosed) else 400)
    metrics.add_metric(name=f"PriceChangeChoice_{notice.choice}", unit=MetricUnit.Count, value=1)
    return see_other(invoice_page(token, "block-choices"))


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
