"""Lambda: SQS batches of verified Stripe events (ProcessStripeEventsFunction, from StripeEventQueue).

One message is one delivery the webhook verified: `{"tenant_id", "event_id", "event"}`. Each record is
applied on its own (Powertools BatchProcessor with partial batch failure), once per tenant and event id
(Powertools idempotency on the IdempotencyTable: a Stripe retry, or SQS delivering twice, finds the
stored result). `ProcessStripeEvent` settles, records the mandate, issues credit notes, flags disputes,
holds an event that arrives before its payment, and sets aside one it can never apply (counted as
StripeEventsUnusable, alarmed). A retryable failure, or the same event being processed by another
instance at this moment, is reported as a failed item: SQS delivers it again, and after five receives
it waits in the dead-letter queue, which alarms.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.settings import settings
from billing.wiring.core import process_stripe_event

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)
# A week: longer than Stripe keeps retrying a delivery (3 days).
idempotency = IdempotencyConfig(
    event_key_jmespath="[tenant_id, event_id]", expires_after_seconds=7 * 24 * 3600
)
_METRIC_BY_OUTCOME = {"unusable": "StripeEventsUnusable", "waiting": "StripeEventsHeld"}


class QueuedStripeEvent(BaseModel):
    """The webhook's message (billing.adapters.stripe_event_queue)."""

    model_config = ConfigDict(extra="forbid")
    tenant_id: str = Field(min_length=1, max_length=64)
    event_id: str = Field(min_length=1, max_length=255)
    event: dict[str, Any]


@idempotent_function(data_keyword_argument="delivery", persistence_store=persistence, config=idempotency)
def process(delivery: dict[str, Any]) -> dict[str, Any]:
    return process_stripe_event()(delivery["tenant_id"], delivery["event"]).to_dict()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    # A message that is not ours is a bug upstream: it fails, and the dead-letter queue alarms.
    queued = QueuedStripeEvent.model_validate_json(record.body)
    logger.append_keys(
        tenant_id=queued.tenant_id, event_id=queued.event_id, event_type=str(queued.event.get("type"))
    )
    try:
        result = process(delivery=queued.model_dump())
    except IdempotencyAlreadyInProgressError:
        # The same event is being applied by another instance right now: look again later.
        metrics.add_metric(name="StripeEventsInProgress", unit=MetricUnit.Count, value=1)
        raise
    outcome = str(result.get("outcome"))
    if outcome == "unusable":
        logger.error(
            "stripe event unusable", extra={"code": result.get("code"), "field": result.get("field")}
        )
    else:
        logger.info(
            "stripe event processed", extra={"outcome": outcome, "invoice_id": result.get("invoice_id")}
        )
    metrics.add_metric(
        name=_METRIC_BY_OUTCOME.get(outcome, "StripeEventsProcessed"), unit=MetricUnit.Count, value=1
    )


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
