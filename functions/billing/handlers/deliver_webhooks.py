"""Lambda: SQS batches of webhook deliveries (DeliverWebhooksFunction, from WebhookDeliveryQueue).

One message is one event for one endpoint (billing.services.outbox.webhooks.Delivery). Each is signed
by the Standard Webhooks scheme and posted once; an endpoint that does not answer 2xx gets it again
after a growing pause (the message is queued again with a delay) for three days, then the delivery
waits in WebhookDeadLetterQueue, which alarms; `billing events replay` sends an event again.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.tracing import make_tracer
from billing.services.outbox.webhooks import Delivery
from billing.wiring.outbox import deliver_webhook

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    delivery = Delivery.from_message(json.loads(record.body))
    logger.append_keys(
        tenant_id=delivery.tenant_id, endpoint_id=delivery.endpoint_id, event_id=delivery.event.get("id")
    )
    outcome = deliver_webhook()(delivery)
    logger.info("webhook attempt", extra={"outcome": outcome, "attempt": delivery.attempt})
    metrics.add_metric(name=f"Webhooks_{outcome}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
