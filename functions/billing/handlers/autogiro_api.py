"""Lambda: the Autogiro mandate form behind the invoice page (template: AutogiroApiFunction).

GET shows the form (or the mandate's status); POST validates personnummer, clearing and account
number, stores a pending mandate and redirects (303) to the invoice page, which then says the mandate
waits for the bank. A wrong field answers 400 with the form again, the field marked and the values kept.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.forms import form_fields
from billing.handlers.wiring import autogiro_form, autogiro_mandates
from billing.services.autogiro import AutogiroFormError, MandateForm
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound
from billing.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()

FIELDS = ("personnummer", "clearing", "account_number", "consent")


def _html(status: int, body: str) -> Response[Any]:
    api = settings().api_base_url
    return Response(
        status,
        "text/html; charset=utf-8",
        body,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; form-action {api}; "
            "base-uri 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def _refused(exc: PermanentError) -> Response[Any]:
    status = 404 if isinstance(exc, InvoiceNotFound) else 400
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
    fields = {k: v for k, v in form_fields(app.current_event).items() if k in FIELDS}
    mandates = autogiro_mandates()
    try:
        done = mandates.submit(token, fields)
    except AutogiroFormError as exc:
        form = mandates.form(token)
        again = MandateForm(
            form.stored, form.tenant, form.language, form.mandate, fields, exc.field, exc.reason
        )
        metrics.add_metric(name="AutogiroFormRefused", unit=MetricUnit.Count, value=1)
        return _html(400, autogiro_form().render(again))
    except PermanentError as exc:
        return _refused(exc)
    metrics.add_metric(name="AutogiroMandatesGiven", unit=MetricUnit.Count, value=1)
    logger.info("autogiro mandate stored", extra={"invoice_id": done.stored.invoice_id})
    page = f"{settings().pages_base_url}/i/{token}"
    return Response(303, "text/plain", "", headers={"Location": page})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
