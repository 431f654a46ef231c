"""Lambda: the customer's own pieces reached from the invoice page by its link
(template: CustomerEngagementFunction). Works without JavaScript.

POST /v1/pages/{token}/spend-alert   field `amount` (kronor) sets or changes the spend alert; field
                                      `remove` removes it. 303 back to the page, re-rendered showing
                                      it; a confirmation email has gone out.
GET  /v1/pages/{token}/usage          `kind` (events | daily), `format` (csv | json), `month`
                                      (YYYY-MM, default this month), `cursor` (the `next` of the page
                                      before): the customer's usage as a file (docs/engagement.md).
GET  /v1/pages/{token}/exit           the honest exit: when it ends, the last invoice, a cheaper plan
POST /v1/pages/{token}/exit           cancel at period end (the one button); 303 back to the exit
                                      page, which then confirms; a confirmation email has gone out.
POST /v1/pages/{token}/pause          field `months`: pause the subscription where the merchant allows
                                      it (from the current period's end); 303 back to the exit page,
                                      which then shows the pause; a confirmation email has gone out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.http import form_fields
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import form_refused, invoice_page, not_found, see_other
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, PermanentError
from billing.settings import settings
from billing.wiring.customer_data import export_usage
from billing.wiring.engagement import choose_spend_alert, customer_exit, customer_pause

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _refused(exc: PermanentError) -> Response[Any]:
    return not_found() if isinstance(exc, InvoiceNotFound) else form_refused(exc)


@app.post("/v1/pages/<token>/spend-alert")
def spend_alert(token: str) -> Response[Any]:
    try:
        form = form_fields(app.current_event.raw_event)
        chosen = choose_spend_alert()(token, form)
    except PermanentError as exc:
        return _refused(exc)
    if chosen.changed:
        name = "SpendAlertsSet" if chosen.threshold else "SpendAlertsRemoved"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return see_other(invoice_page(token, "block-spend-alert"))


@app.get("/v1/pages/<token>/usage")
def usage(token: str) -> Response[Any]:
    query = {k: v for k, v in (app.current_event.query_string_parameters or {}).items() if isinstance(v, str)}
    try:
        download = export_usage()(token, query)
    except PermanentError as exc:
        return _refused(exc)
    headers = {
        "Content-Disposition": f'attachment; filename="{download.filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if download.next_cursor is not None:
        headers["X-Next-Cursor"] = download.next_cursor
    return Response(200, download.content_type, download.body, headers=headers)


@app.get("/v1/pages/<token>/exit")
def exit_page(token: str) -> Response[Any]:
    from billing.adapters.exit_page import render_exit_page

    try:
        view = customer_exit().page(token)
    except PermanentError as exc:
        return _refused(exc)
    html = render_exit_page(view, "SE")
    return Response(200, "text/html; charset=utf-8", html, headers={"Cache-Control": "no-store"})


@app.post("/v1/pages/<token>/exit")
def exit_confirm(token: str) -> Response[Any]:
    return _back_to_exit_page(token, lambda: customer_exit().confirm(token), "CancelledFromPage")


@app.post("/v1/pages/<token>/pause")
def pause(token: str) -> Response[Any]:
    return _back_to_exit_page(
        token, lambda: customer_pause()(token, form_fields(app.current_event.raw_event)), "PausedFromPage"
    )


def _back_to_exit_page(token: str, act: Callable[[], object], metric: str) -> Response[Any]:
    """Do what the exit page's button asked, counted as `metric`, and go back to the exit page, which
    then confirms it."""
    try:
        act()
    except PermanentError as exc:
        return _refused(exc)
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return see_other(f"{settings().api_base_url}/v1/pages/{token}/exit")


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
