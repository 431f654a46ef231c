"""Lambda: SQS batches of InvoiceRequested messages (template: IssueInvoicesFunction).

One message is one customer in one run. Each is processed on its own (Powertools BatchProcessor with
partial batch failure): a retryable failure is reported so SQS redelivers that message alone (and after
five receives it lands in the DLQ, which alarms); a permanent one is recorded on the run and
acknowledged, since redelivering it would fail the same way.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.services.billing_run import SystemClock
from billing.services.errors import PermanentError
from billing.wiring.core import issue_invoice, run_ledger

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord, runs: set[str]) -> None:
    """One customer's invoice; `runs` collects the batch's runs, which may be finished after it."""
    from billing.handlers.messages import InvoiceRequestedMessage, read_message  # at the first record

    request = read_message(InvoiceRequestedMessage, record.body).request()
    logger.append_keys(run_id=request.run_id, tenant_id=request.tenant_id, customer_id=request.customer_id)
    runs.add(request.run_id)
    try:
        outcome = issue_invoice()(request)
    except PermanentError as exc:
        logger.warning("invoice failed permanently", extra={"reason": exc.reason, "field": exc.field})
        run_ledger().record_failure(request.run_id, request.customer_id, str(exc), SystemClock().now())
        metrics.add_metric(name="InvoiceFailures", unit=MetricUnit.Count, value=1)
        return
    except Exception as exc:
        run_ledger().record_failure(
            request.run_id, request.customer_id, f"{type(exc).__name__}: {exc}", SystemClock().now()
        )
        metrics.add_metric(name="InvoiceRetries", unit=MetricUnit.Count, value=1)
        raise
    if outcome.outcome == "invoiced":
        metrics.add_metric(name="InvoicesIssued", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="AmountBilledMinor", unit=MetricUnit.Count, value=outcome.total)
    logger.info("customer processed", extra={"outcome": outcome.outcome, "invoice_id": outcome.invoice_id})


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    runs: set[str] = set()  # this batch's, not the warm container's
    response = process_partial_response(
        event=event, record_handler=partial(record_handler, runs=runs), processor=processor, context=context
    )
    for run_id in runs:
        run_ledger().finish_if_done(run_id, SystemClock().now())
    return response


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
