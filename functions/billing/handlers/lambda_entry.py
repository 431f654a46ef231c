"""The Lambda entry point a handler module builds around its work: Powertools' logging context
(cleared per invocation), the invocation traced (never its response or error: docs/privacy.md), and
the invocation's metrics flushed when it ends; and that entry for an SQS queue's batches. One
definition, so every handler that uses it wears the same three in the same order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from billing.handlers.tracing import Untraced

Answer = TypeVar("Answer")


def lambda_entry(
    work: Callable[[dict[str, Any], LambdaContext], Answer],
    *,
    logger: Logger,
    tracer: Tracer | Untraced,
    metrics: Metrics,
) -> Callable[[dict[str, Any], LambdaContext], Answer]:
    """The `lambda_handler` that runs `work(event, context)` inside the module's logger, tracer and
    metrics."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False, capture_error=False)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Answer:
        return work(event, context)

    return lambda_handler


def sqs_batch_entry(
    record_handler: Callable[[SQSRecord], None],
    *,
    logger: Logger,
    tracer: Tracer | Untraced,
    metrics: Metrics,
) -> Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]:
    """The `lambda_handler` of an SQS queue's batches: each record handled on its own by
    `record_handler` (Powertools' BatchProcessor), and only the records that failed reported, so that
    only they are delivered again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)

    def handle_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    return lambda_entry(handle_batch, logger=logger, tracer=tracer, metrics=metrics)
