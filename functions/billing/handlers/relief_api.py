"""Lambda: relief the customer chooses on the invoice page (template: ReliefApiFunction).

GET  /v1/pages/{token}/relief        the form page: move the due date once, or split into instalments
POST /v1/pages/{token}/relief/move   form field due_date (YYYY-MM-DD)
POST /v1/pages/{token}/relief/split  form fields instalments (2..max) and first_due (YYYY-MM-DD)

A granted choice redirects (303) back to the re-rendered invoice page; a refused one shows the form
page again with the reason (400). Works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.adapters.dunning_page import render_relief_page
from billing.handlers.http import form_fields, html_headers
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, PermanentError
from billing.settings import settings
from billing.wiring.core import customer_relief, tenant_directory

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
HTML = "text/html; charset=utf-8"


def _form() -> dict[str, str]:
    return form_fields(app.current_event.raw_event)


def _page_url(token: str) -> str:
    return f"{settings().pages_base_url}/i/{token}"


def _form_page(token: str, status: int = 200, error: str | None = None) -> Response[Any]:
    relief = customer_relief()
    try:
        stored = relief.by_token(token)
    except InvoiceNotFound:
        return Response(404, "text/plain; charset=utf-8", "Not found")
    tenant, today = tenant_directory().get(stored.tenant_id), relief.today()
    html = render_relief_page(
        stored,
        tenant,
        today,
        relief.choice(stored, tenant, today),
        page_url=_page_url(token),
        api_base=settings().api_base_url,
        error=error,
    )
    return Response(
        status, HTML, html, headers=html_headers(settings().api_base_url, settings().pages_base_url)
    )


def _granted(token: str) -> Response[Any]:
    return Response(303, "text/plain", "", headers={"Location": _page_url(token) + "#block-relief"})


@app.get("/v1/pages/<token>/relief")
def relief_page(token: str) -> Response[Any]:
    return _form_page(token)


@app.post("/v1/pages/<token>/relief/move")
def move(token: str) -> Response[Any]:
    try:
        customer_relief().move(token, _form().get("due_date"))
    except InvoiceNotFound:
        return Response(404, "text/plain; charset=utf-8", "Not found")
    except PermanentError as exc:
        logger.info("relief refused", extra={"field": exc.field, "code": exc.code})
        return _form_page(token, 400, exc.reason)
    metrics.add_metric(name="DueDatesMoved", unit=MetricUnit.Count, value=1)
    return _granted(token)


@app.post("/v1/pages/<token>/relief/split")
def split(token: str) -> Response[Any]:
    try:
        form = _form()
        customer_relief().split(token, form.get("instalments"), form.get("first_due"))
    except InvoiceNotFound:
        return Response(404, "text/plain; charset=utf-8", "Not found")
    except PermanentError as exc:
        logger.info("relief refused", extra={"field": exc.field, "code": exc.code})
        return _form_page(token, 400, exc.reason)
    metrics.add_metric(name="InvoicesSplit", unit=MetricUnit.Count, value=1)
    return _granted(token)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
