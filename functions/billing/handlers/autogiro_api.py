"""Lambda: the Autogiro mandate form behind the invoice page (template: AutogiroApiFunction).

GET shows the form (or the mandate's status); POST validates personnummer, clearing and account
number, stores a pending mandate and redirects (303) to the invoice page, which then says the mandate
waits for the bank. A wrong field answers 400 with the form again and the field marked; the
personnummer and account number are never sent back (they are personal data, and an answer is logged
and traced by the platform), other values only cut short (docs/privacy.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.http import BodyRefused, echoed, form_fields, html_headers
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import invoice_page
from billing.handlers.tracing import make_tracer
from billing.services.autogiro import AutogiroFormError, MandateForm
from billing.services.errors import InvoiceNotFound, PermanentError
from billing.settings import settings
from billing.wiring.core import autogiro_form, autogiro_mandates

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()

FIELDS = ("personnummer", "clearing", "account_number", "consent")
NEVER_ECHOED = ("personnummer", "account_number")


def _html(status: int, body: str) -> Response[Any]:
    return Response(
        status,
        "text/html; charset=utf-8",
        body,
        headers=html_headers(settings().api_base_url, settings().pages_base_url),
    )


def _refused(exc: PermanentError) -> Response[Any]:
    status = exc.status if isinstance(exc, BodyRefused) else 404 if isinstance(exc, InvoiceNotFound) else 400
    return Response(status, "application/json", {"error": exc.reason, "field": exc.field})


@app.get("/v1/pages/<token>/autogiro")
def show(token: str) -> Response[Any]:
    try:
        form = autogiro_mandates().form(token)
    except PermanentError as exc:
        return _refused(exc)
    return _html(200, autogiro_form().render(form))


@app.post("/v1/pages/<token>/autogiro")
def submit(token: str) -> Response[Any]:
    try:
        fields = {k: v for k, v in form_fields(app.current_event.raw_event).items() if k in FIELDS}
    except BodyRefused as exc:
        return _refused(exc)
    mandates = autogiro_mandates()
    try:
        done = mandates.submit(token, fields)
    except AutogiroFormError as exc:
        form = mandates.form(token)
        kept = {k: echoed(v) for k, v in fields.items() if k not in NEVER_ECHOED}
        again = MandateForm(
            form.stored, form.tenant, form.language, form.mandate, kept, exc.field, exc.reason
        )
        metrics.add_metric(name="AutogiroFormRefused", unit=MetricUnit.Count, value=1)
        return _html(400, autogiro_form().render(again))
    except PermanentError as exc:
        return _refused(exc)
    metrics.add_metric(name="AutogiroMandatesGiven", unit=MetricUnit.Count, value=1)
    logger.info("autogiro mandate stored", extra={"invoice_id": done.stored.invoice_id})
    return Response(303, "text/plain", "", headers={"Location": invoice_page(token)})


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
