"""Lambda: relief the customer chooses on the invoice page (template: ReliefApiFunction).

GET  /v1/pages/{token}/relief        the form page: move the due date once, or split into instalments
POST /v1/pages/{token}/relief/move   form field due_date (YYYY-MM-DD)
POST /v1/pages/{token}/relief/split  form fields instalments (2..max) and first_due (YYYY-MM-DD)

A granted choice redirects (303) back to the re-rendered invoice page; a refused one shows the form
page again with the reason (400). Works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.http import form_fields, html_headers
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import invoice_page, not_found
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, PermanentError
from billing.settings import settings
from billing.wiring.core import customer_relief

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
HTML = "text/html; charset=utf-8"


def _form() -> dict[str, str]:
    return form_fields(app.current_event.raw_event)


def _form_page(token: str, status: int = 200, error: str | None = None) -> Response[Any]:
    try:
        html = customer_relief().form_page(
            token, page_url=invoice_page(token), api_base=settings().api_base_url, error=error
        )
    except InvoiceNotFound:
        return not_found()
    return Response(
        status, HTML, html, headers=html_headers(settings().api_base_url, settings().pages_base_url)
    )


def _choose(token: str, choose: Callable[[dict[str, str]], object], metric: str) -> Response[Any]:
    """The customer's choice from the form, counted as `metric`, and 303 back to the invoice page;
    refused, the form page again with the reason."""
    try:
        choose(_form())
    except InvoiceNotFound:
        return not_found()
    except PermanentError as exc:
        logger.info("relief refused", extra={"field": exc.field, "code": exc.code})
        return _form_page(token, 400, exc.reason)
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return Response(303, "text/plain", "", headers={"Location": invoice_page(token, "block-relief")})


@app.get("/v1/pages/<token>/relief")
def relief_page(token: str) -> Response[Any]:
    return _form_page(token)


@app.post("/v1/pages/<token>/relief/move")
def move(token: str) -> Response[Any]:
    return _choose(token, lambda form: customer_relief().move(token, form.get("due_date")), "DueDatesMoved")


@app.post("/v1/pages/<token>/relief/split")
def split(token: str) -> Response[Any]:
    return _choose(
        token,
        lambda form: customer_relief().split(token, form.get("instalments"), form.get("first_due")),
        "InvoicesSplit",
    )


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
