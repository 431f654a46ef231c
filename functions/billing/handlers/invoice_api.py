"""Lambda: the invoice page's API behind the HTTP API (template: InvoiceApiFunction).

The page is static HTML; its forms post here and are redirected back to the page (303), so everything
works without JavaScript. The page's small script posts the same forms with `Accept: application/json`
and gets JSON instead. The view pixel counts views without JavaScript.
"""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.forms import form_fields
from billing.handlers.wiring import page_actions
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound
from billing.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()

# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _form() -> dict[str, str]:
    return form_fields(app.current_event)


def _wants_json() -> bool:
    return "application/json" in (app.current_event.headers.get("accept") or "")


def _page_url(token: str, fragment: str = "") -> str:
    return f"{settings().pages_base_url}/i/{token}{'#' + fragment if fragment else ''}"


def _done(token: str, fragment: str, payload: dict[str, Any]) -> Response[Any]:
    if _wants_json():
        # The page and the API are different origins on AWS (CloudFront vs API Gateway).
        return Response(
            200,
            "application/json",
            payload,
            headers={"Access-Control-Allow-Origin": settings().pages_base_url, "Cache-Control": "no-store"},
        )
    return Response(303, "text/plain", "", headers={"Location": _page_url(token, fragment)})


def _refused(exc: PermanentError) -> Response[Any]:
    status = 404 if isinstance(exc, InvoiceNotFound) else 400
    return Response(
        status,
        "application/json",
        {"error": exc.reason, "field": exc.field},
        headers={"Access-Control-Allow-Origin": settings().pages_base_url},
    )


@app.get("/v1/pages/<token>/seen")
def seen(token: str) -> Response[Any]:
    try:
        page_actions().seen(token)
    except InvoiceNotFound:
        pass  # a pixel never errors: it must not reveal which tokens exist
    return Response(200, "image/gif", PIXEL, headers={"Cache-Control": "no-store"})


@app.post("/v1/pages/<token>/questions")
def ask(token: str) -> Response[Any]:
    form = _form()
    try:
        asked = page_actions().ask(token, form.get("text", ""), form.get("line_id"))
    except PermanentError as exc:
        return _refused(exc)
    if asked.new:
        metrics.add_metric(name="QuestionsAsked", unit=MetricUnit.Count, value=1)
    return _done(token, "block-questions", {"question_id": asked.question_id, "new": asked.new})


@app.post("/v1/pages/<token>/feedback")
def feedback(token: str) -> Response[Any]:
    form = _form()
    try:
        page_actions().feedback(token, form.get("score", ""), form.get("text"))
    except PermanentError as exc:
        return _refused(exc)
    metrics.add_metric(name="FeedbackGiven", unit=MetricUnit.Count, value=1)
    return _done(token, "block-poll", {"ok": True})


@app.get("/v1/pages/<token>/offers/<offer_id>")
def offer(token: str, offer_id: str) -> Response[Any]:
    try:
        target = page_actions().offer_clicked(token, offer_id)
    except PermanentError as exc:
        return _refused(exc)
    metrics.add_metric(name="OfferClicks", unit=MetricUnit.Count, value=1)
    return Response(302, "text/plain", "", headers={"Location": target})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
