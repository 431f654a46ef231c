"""Lambda: the outbox's publisher (DriveOutboxFunction).

Started two ways. By the OutboxTable's DynamoDB stream (keys only): each inserted event names its
stream (`<tenant>#invoice#<id>`), and every pending event of that stream is driven in sequence
(billing.services.outbox.DriveOutbox), so the effects and the merchant's events of one invoice happen
in order; a stream that fails is reported as a failed record and Lambda retries from it. And every
five minutes by the scheduler with `{"sweep": true}`: whatever has waited more than two minutes (its
stream trigger failed for good, or its writer's own drive died) is driven again. Updates to an event
(its effects' done-marks) are ignored: they are the driver's own writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.services.billing_run import SystemClock
from billing.wiring.outbox import drive_outbox

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
SWEEP_AFTER = timedelta(minutes=2)


def stream_of(record: DynamoDBRecord) -> tuple[str, str] | None:
    """(tenant, stream) of an inserted outbox item, or None for the driver's own updates."""
    if record.event_name is None or record.event_name.name != "INSERT" or record.dynamodb is None:
        return None
    keys = record.dynamodb.keys or {}
    key = str(keys.get("stream_key", ""))
    if "#" not in key:
        return None
    tenant_id, stream = key.split("#", 1)
    return tenant_id, stream


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: DynamoDBRecord) -> None:
    found = stream_of(record)
    if found is None:
        return
    tenant_id, stream = found
    logger.append_keys(tenant_id=tenant_id, stream=stream)
    finished = drive_outbox().stream(tenant_id, stream)
    metrics.add_metric(name="OutboxEventsFinished", unit=MetricUnit.Count, value=finished)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("sweep"):
        finished = drive_outbox().sweep(SystemClock().now() - SWEEP_AFTER)
        metrics.add_metric(name="OutboxEventsSwept", unit=MetricUnit.Count, value=finished)
        logger.info("outbox swept", extra={"finished": finished})
        return {"finished": finished}
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
