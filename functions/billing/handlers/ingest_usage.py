"""Lambda: `POST /v1/usage` on the HTTP API (template: IngestUsageFunction).

One request is one tenant's batch of up to 100 usage events, authenticated by the tenant's API key
(`Authorization: Bearer <key>`). The answer is 200 with a result per event (accepted, duplicate,
rejected with reason and field), 401 for a missing or unknown key, 403 for a body naming another
tenant, 400 for a malformed body and 413 for a body or batch over the limits.
"""

import json
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.domain.bounded_json import JsonTooDeep, loads_bounded
from billing.handlers.http import BodyRefused, bearer_key, text_body
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.services.ingest_usage import (
    ACCEPTED,
    DUPLICATE,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    REJECTED,
    BatchRefused,
    IngestUsage,
    parse_batch,
    parse_json_integer,
    tenant_for_key,
)
from billing.wiring import TableStore
from billing.wiring.core import tenant_directory

if TYPE_CHECKING:
    from billing.adapters.dynamo.usage import DynamoApiKeys

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
MAX_BATCH_KEY = 255


@cache
def ingest() -> IngestUsage:
    from billing.adapters.dynamo.outbox import DynamoEventLog
    from billing.adapters.dynamo.usage import DynamoUsageCustomers, DynamoUsageLedger
    from billing.services.billing_run import SystemClock
    from billing.wiring.engagement import watch_spend

    return IngestUsage(
        tenants=tenant_directory(),
        customers=DynamoUsageCustomers(),
        ledger=DynamoUsageLedger(),
        clock=SystemClock(),
        spend=watch_spend(),
        rejections=DynamoEventLog(),
    )


# Its own key cache, apart from the merchant API's (billing.wiring.merchant.api_keys).
api_keys: TableStore["DynamoApiKeys"] = TableStore("dynamo.usage.DynamoApiKeys")


def batch_key(headers: dict[str, str]) -> str | None:
    """The request's Idempotency-Key (optional): it names the batch in usage.rejected."""
    key = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), None)
    return key.strip()[:MAX_BATCH_KEY] or None if key else None


def _answer(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


# No `from __future__ import annotations` here: the merchant's OpenAPI document reads this route's
# annotations at run time (billing.handlers.merchant_api.openapi_json).
@app.post("/v1/usage", summary="Send up to 100 usage events (docs/usage.md)", tags=["usage"])
@tracer.capture_method(capture_response=False, capture_error=False)
def post_usage() -> Response[str]:
    event = app.current_event
    tenant_id = tenant_for_key(api_keys(), bearer_key(dict(event.headers)))
    if tenant_id is None:
        return _answer(401, {"error": "unauthorized", "message": "a valid usage API key is required"})
    logger.append_keys(tenant_id=tenant_id)
    try:
        raw = text_body(event.raw_event, MAX_BODY_BYTES)
    except BodyRefused as exc:
        error = "payload_too_large" if exc.status == 413 else "bad_request"
        return _answer(exc.status, {"error": error, "field": "body", "message": exc.reason})
    try:
        # Exact decimals: a value of 0.1 must add up as 0.1, not as the float nearest to it.
        body = loads_bounded(raw, max_depth=MAX_JSON_DEPTH, parse_float=Decimal, parse_int=parse_json_integer)
    except JsonTooDeep:
        return _answer(400, {"error": "bad_request", "field": "body", "message": "nested too deeply"})
    except json.JSONDecodeError as exc:
        return _answer(400, {"error": "bad_request", "field": "body", "message": f"not JSON: {exc.msg}"})
    except ValueError as exc:  # a number JSON allows but Python cannot hold, e.g. 1e999999999999999999
        return _answer(
            400, {"error": "bad_request", "field": "body", "message": f"not usable JSON: {exc}"[:200]}
        )
    if isinstance(body, dict) and body.get("tenant_id", tenant_id) != tenant_id:
        return _answer(403, {"error": "forbidden", "message": "this key cannot write for that tenant"})
    if isinstance(body, dict):
        body.pop("tenant_id", None)
    try:
        result = ingest()(tenant_id, parse_batch(body), batch_key(dict(event.headers)))
    except BatchRefused as exc:
        code = "batch_too_large" if exc.status == 413 else "bad_request"
        return _answer(exc.status, {"error": code, "field": exc.field, "message": exc.reason})
    metrics.add_metric(name="UsageEventsAccepted", unit=MetricUnit.Count, value=result.count(ACCEPTED))
    metrics.add_metric(name="UsageEventsDuplicate", unit=MetricUnit.Count, value=result.count(DUPLICATE))
    metrics.add_metric(name="UsageEventsRejected", unit=MetricUnit.Count, value=result.count(REJECTED))
    return _answer(200, result.to_dict())


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
