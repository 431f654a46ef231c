"""Lambda: SQS batches of `SpendAlertFired` messages (SendSpendAlertsFunction, from SpendAlertQueue).

One message names a customer whose spend alert fired for a period (usage ingestion queued it,
billing.services.spend_alerts.watch). Each is handled on its own (BatchProcessor, partial batch
failure); the use case claims the email before sending, so a message delivered twice sends once. A
retryable failure is reported as a failed item and delivered again; after five receives it waits in
the dead-letter queue, which alarms.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field

from billing.handlers.lambda_entry import sqs_batch_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.engagement import send_spend_alert

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


class SpendAlertFired(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(pattern="^SpendAlertFired$")
    tenant_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=128)
    period: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    message = SpendAlertFired.model_validate_json(record.body)
    logger.append_keys(tenant_id=message.tenant_id, customer_id=message.customer_id)
    if send_spend_alert()(message.model_dump()):
        metrics.add_metric(name="SpendAlertsSent", unit=MetricUnit.Count, value=1)


lambda_handler = sqs_batch_entry(record_handler, logger=logger, tracer=tracer, metrics=metrics)
