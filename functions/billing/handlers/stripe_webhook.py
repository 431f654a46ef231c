"""Lambda: Stripe's webhook for one tenant (StripeWebhookFunction, POST /v1/webhooks/stripe/{tenant_id}).

It verifies, records and answers; it does not process. So the answer is quick whatever SES or S3 are
doing, and two deliveries of one event at the same moment are two 200s, not a race.

1. The raw body's bytes are verified against the tenant's endpoint secret (Secrets Manager) before
   anything decodes them: HMAC, the signed timestamp within 5 minutes either way, then UTF-8 and
   bounded JSON (billing.adapters.stripe_webhook). Forged, stale, future or malformed deliveries, and
   tenants we do not know, get 400.
2. The verified event goes to the StripeEventQueue; ProcessStripeEventsFunction applies it once per
   event id. 200 once it is queued; 503 when the queue cannot be reached, so Stripe delivers again.
Never logged: the body, the signature header, the secret, or anything about the card.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.adapters.stripe_event_queue import SqsStripeEventQueue
from billing.adapters.stripe_webhook import StripeWebhookVerifier, WebhookRejected
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.services.errors import PermanentError, RetryableError
from billing.settings import settings
from billing.wiring.core import stripe_credentials

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
# Tenant ids are ours (docs/architecture.md); anything else is refused before a secret is looked up.
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@cache
def queue() -> SqsStripeEventQueue:
    return SqsStripeEventQueue(settings().stripe_event_queue_url)


def _answer(status: int, payload: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": payload}


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)  # API Gateway's encoding of a non-text body
    return str(body).encode("utf-8")


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id = str((event.get("pathParameters") or {}).get("tenant_id") or "")
    if not TENANT_ID.fullmatch(tenant_id):
        return _answer(400, '{"error": "not configured"}')
    logger.append_keys(tenant_id=tenant_id)
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    try:
        raw = _raw_body(event)
        secret = stripe_credentials().get(tenant_id).webhook_secret
        verified = StripeWebhookVerifier(secret).verify(raw, headers.get("stripe-signature"))
    except (binascii.Error, ValueError, WebhookRejected) as exc:
        code = getattr(exc, "code", None) or type(exc).__name__
        logger.warning("webhook refused", extra={"code": code})
        metrics.add_metric(name="StripeWebhooksRefused", unit=MetricUnit.Count, value=1)
        return _answer(400, '{"error": "refused"}')
    except PermanentError as exc:
        logger.warning("webhook for an unconfigured tenant", extra={"code": exc.code})
        return _answer(400, '{"error": "not configured"}')
    except RetryableError as exc:
        logger.error("webhook could not read its secret", extra={"code": exc.code})
        metrics.add_metric(name="StripeWebhookFailures", unit=MetricUnit.Count, value=1)
        return _answer(503, '{"error": "try again"}')
    logger.append_keys(event_id=verified["id"], event_type=verified["type"])
    try:
        queue().send(tenant_id, verified)
    except (RetryableError, PermanentError) as exc:
        logger.error("webhook could not queue the event", extra={"code": exc.code, "reason": exc.reason})
        metrics.add_metric(name="StripeWebhookFailures", unit=MetricUnit.Count, value=1)
        return _answer(503, '{"error": "try again"}')
    logger.info("webhook queued")
    metrics.add_metric(name="StripeWebhooksQueued", unit=MetricUnit.Count, value=1)
    return _answer(200, '{"received": true}')


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
