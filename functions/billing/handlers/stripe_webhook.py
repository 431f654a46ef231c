"""Lambda: Stripe's webhook for one tenant (StripeWebhookFunction, POST /v1/webhooks/stripe/{tenant_id}).

1. The raw body is verified against the tenant's endpoint secret (Secrets Manager) by the Stripe SDK,
   the signed timestamp within 5 minutes either way: forged, stale or future deliveries get 400.
2. The event is processed once per Stripe event id (Powertools idempotency on the IdempotencyTable,
   keyed on tenant and event id, not on the delivery: Stripe's retries re-sign with a new timestamp).
3. `ProcessStripeEvent` settles, records the mandate, issues credit notes or flags disputes; unknown
   types are acknowledged. Processing is a few DynamoDB writes, one S3 put and at most one email, so
   the answer comes well within Stripe's timeout. A failure answers 500 so that Stripe delivers again.
Never logged: the body, the signature header, the secret, or anything about the card.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.adapters.stripe_webhook import StripeWebhookVerifier, WebhookRejected
from billing.handlers.wiring import process_stripe_event, stripe_credentials
from billing.services.errors import PermanentError
from billing.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
# A week: longer than Stripe keeps retrying a delivery (3 days).
idempotency = IdempotencyConfig(
    event_key_jmespath="[tenant_id, event_id]", expires_after_seconds=7 * 24 * 3600
)


@idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=idempotency)
def process(delivery: dict[str, Any]) -> dict[str, Any]:
    return process_stripe_event()(delivery["tenant_id"], delivery["event"]).to_dict()


def _answer(status: int, payload: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": payload}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id = str((event.get("pathParameters") or {}).get("tenant_id") or "")
    logger.append_keys(tenant_id=tenant_id)
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        import base64

        raw = base64.b64decode(raw).decode("utf-8")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        secret = stripe_credentials().get(tenant_id).webhook_secret
        verified = StripeWebhookVerifier(secret).verify(raw, headers.get("stripe-signature"))
    except WebhookRejected as exc:
        logger.warning("webhook refused", extra={"code": exc.code or type(exc).__name__})
        metrics.add_metric(name="StripeWebhooksRefused", unit=MetricUnit.Count, value=1)
        return _answer(400, '{"error": "refused"}')
    except PermanentError as exc:
        logger.warning("webhook for an unconfigured tenant", extra={"code": exc.code})
        return _answer(400, '{"error": "not configured"}')
    event_id, event_type = verified["id"], verified["type"]
    logger.append_keys(event_id=event_id, event_type=event_type)
    idempotency.register_lambda_context(context)
    try:
        result = process(delivery={"tenant_id": tenant_id, "event_id": event_id, "event": verified})
    except PermanentError as exc:
        # A handled event we cannot use (no amount, an invoice in another currency): retrying cannot
        # help. Acknowledge, count, and leave it for an operator; codes only in the log.
        logger.error("webhook event unusable", extra={"code": exc.code, "field": exc.field})
        metrics.add_metric(name="StripeEventsUnusable", unit=MetricUnit.Count, value=1)
        return _answer(200, '{"received": true, "outcome": "unusable"}')
    logger.info(
        "webhook processed", extra={"outcome": result.get("outcome"), "invoice_id": result.get("invoice_id")}
    )
    metrics.add_metric(name="StripeEventsProcessed", unit=MetricUnit.Count, value=1)
    return _answer(200, json.dumps({"received": True, "outcome": result.get("outcome")}))
