"""Lambda: the daily dunning run (template: SendRemindersFunction, EventBridge Scheduler, Europe/Stockholm).

The event is the schedule's Input: {"tenant_id", "scheduled_time", "execution_id"}. Today is the
scheduled time's date in Europe/Stockholm, so a retried delivery is the same day's run and sends
nothing twice (each step is recorded before it is carried out). `"today": "YYYY-MM-DD"` overrides it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.schedule import scheduled_day
from billing.handlers.tracing import make_tracer
from billing.wiring.core import send_reminders

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id = str(event["tenant_id"])
    today = scheduled_day(event, "today")
    logger.append_keys(tenant_id=tenant_id, today=today.isoformat())
    summary = send_reminders()(tenant_id, today)
    for failure in summary.failed:
        logger.error("dunning failed for an invoice", extra={"failure": failure})
    logger.info("dunning run done", extra={"checked": summary.checked, "outcomes": dict(summary.outcomes)})
    metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=summary.reminders_sent)
    metrics.add_metric(name="MandateRetriesRequested", unit=MetricUnit.Count, value=summary.retries_requested)
    metrics.add_metric(name="DunningFailures", unit=MetricUnit.Count, value=len(summary.failed))
    return {
        "today": today.isoformat(),
        "checked": summary.checked,
        "reminders_sent": summary.reminders_sent,
        "retries_requested": summary.retries_requested,
        "outcomes": dict(summary.outcomes),
        "failed": summary.failed,
    }
