"""Lambda: EventBridge Scheduler writes a tenant's daily Autogiro request file (AutogiroExportFunction).

The event is the schedule's Input: {"tenant_id", "scheduled_time", "execution_id"}. The file goes to
`autogiro/outbox/<tenant>/<dataset name>` in the pages bucket; an operator moves it to Bankgirot
(docs/autogiro.md). A retried delivery is harmless: debits already in a file are not ordered again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer

if TYPE_CHECKING:
    from billing.handlers.events import ScheduleInput
from billing.services.autogiro import AutogiroNotOffered
from billing.services.billing_run import SystemClock
from billing.wiring.core import export_autogiro

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


def moment_of(schedule: ScheduleInput) -> datetime:
    """The scheduled time, or now if that is later (a retry must still respect Bankgirot's deadline)."""
    now = SystemClock().now()
    return now if schedule.scheduled_time is None else max(now, schedule.scheduled_time)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The event's model loads pydantic: at the run, not at every cold start's import.
    from billing.handlers.events import ScheduleInput, read_event

    schedule = read_event(ScheduleInput, event)
    tenant_id = schedule.tenant_id
    logger.append_keys(tenant_id=tenant_id)
    try:
        result = export_autogiro()(tenant_id, moment_of(schedule))
    except AutogiroNotOffered as exc:
        # Configuration, not a failure: a retry would not help.
        logger.info("autogiro not offered", extra={"reason": exc.reason})
        return {"key": None, "skipped": exc.reason}
    held = [{"invoice_id": h.item_id, "reason": h.reason.name, "detail": h.detail} for h in result.held]
    refused = [h for h in result.held if h.refused]
    logger.info(
        "autogiro request file",
        extra={"key": result.key, "debits": len(result.debits), "mandates": result.mandates, "held": held},
    )
    for failure in result.failed:
        logger.error("an invoice was left out of the Autogiro file", extra={"failure": failure})
    metrics.add_metric(name="AutogiroExportFailures", unit=MetricUnit.Count, value=len(result.failed))
    metrics.add_metric(name="AutogiroDebitsOrdered", unit=MetricUnit.Count, value=len(result.debits))
    metrics.add_metric(name="AutogiroDebitsRefused", unit=MetricUnit.Count, value=len(refused))
    return {
        "key": result.key,
        "mandates": result.mandates,
        "cancellations": result.cancellations,
        "debits": [[invoice_id, day.isoformat()] for invoice_id, day in result.debits],
        "announced": [[invoice_id, day.isoformat()] for invoice_id, day in result.announced],
        "held": held,
        "failed": list(result.failed),
    }


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
