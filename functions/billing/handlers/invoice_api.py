"""Lambda: the invoice page's API behind the HTTP API (template: InvoiceApiFunction).

The page is static HTML; its forms post here and are redirected back to the page (303), so everything
works without JavaScript. The page's small script posts the same forms with `Accept: application/json`
and gets JSON instead. The view pixel counts views without JavaScript.
"""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.http import BodyRefused, form_fields
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import invoice_page
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, ItemTooLarge, LimitReached, PermanentError
from billing.settings import settings
from billing.wiring.core import page_actions

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()

# A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _form() -> dict[str, str]:
    return form_fields(app.current_event.raw_event)


def _wants_json() -> bool:
    return "application/json" in (app.current_event.headers.get("accept") or "")


def _done(token: str, fragment: str, payload: dict[str, Any]) -> Response[Any]:
    if _wants_json():
        # The page and the API are different origins on AWS (CloudFront vs API Gateway).
        return Response(
            200,
            "application/json",
            payload,
            headers={"Access-Control-Allow-Origin": settings().pages_base_url, "Cache-Control": "no-store"},
        )
    return Response(303, "text/plain", "", headers={"Location": invoice_page(token, fragment)})


def _refused(exc: PermanentError) -> Response[Any]:
    # 429: a per-link or per-day limit (docs/invoice-page.md); 409: the invoice item cannot take the
    # change (alarmed, see ItemTooLarge); 404: no such link.
    status = 400
    if isinstance(exc, BodyRefused):
        status = exc.status
    elif isinstance(exc, InvoiceNotFound):
        status = 404
    elif isinstance(exc, LimitReached):
        status = 429
    elif isinstance(exc, ItemTooLarge):
        status = 409
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
    except PermanentError as exc:  # e.g. ItemTooLarge (counted and alarmed where it happened)
        logger.warning("view not counted", extra={"code": exc.code, "field": exc.field})
    return Response(200, "image/gif", PIXEL, headers={"Cache-Control": "no-store"})


@app.post("/v1/pages/<token>/questions")
def ask(token: str) -> Response[Any]:
    try:
        form = _form()
        asked = page_actions().ask(token, form.get("text", ""), form.get("line_id"))
    except PermanentError as exc:
        return _refused(exc)
    if asked.new:
        metrics.add_metric(name="QuestionsAsked", unit=MetricUnit.Count, value=1)
    return _done(token, "block-questions", {"question_id": asked.question_id, "new": asked.new})


@app.post("/v1/pages/<token>/feedback")
def feedback(token: str) -> Response[Any]:
    try:
        form = _form()
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


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
