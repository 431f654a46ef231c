"""Lambda: SQS batches of webhook deliveries (DeliverWebhooksFunction, from WebhookDeliveryQueue).

One message is one event for one endpoint (billing.services.outbox.webhooks.Delivery). Each is signed
by the Standard Webhooks scheme and posted once; an endpoint that does not answer 2xx gets it again
after a growing pause (the message is queued again with a delay) for three days, then the delivery
waits in WebhookDeadLetterQueue, which alarms; `billing events replay` sends an event again.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from billing.handlers.lambda_entry import sqs_batch_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.outbox import deliver_webhook

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    from billing.handlers.messages import WebhookDeliveryMessage, read_message  # at the first record

    delivery = read_message(WebhookDeliveryMessage, record.body).delivery()
    logger.append_keys(
        tenant_id=delivery.tenant_id, endpoint_id=delivery.endpoint_id, event_id=delivery.event.get("id")
    )
    outcome = deliver_webhook()(delivery)
    logger.info("webhook attempt", extra={"outcome": outcome, "attempt": delivery.attempt})
    metrics.add_metric(name=f"Webhooks_{outcome}", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_batch_entry(record_handler, logger=logger, tracer=tracer, metrics=metrics)
