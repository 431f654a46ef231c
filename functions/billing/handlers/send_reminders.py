"""Lambda: the daily dunning run (template: SendRemindersFunction, EventBridge Scheduler, Europe/Stockholm).

The event is the schedule's Input: {"tenant_id", "scheduled_time", "execution_id"}. Today is the
scheduled time's date in Europe/Stockholm, so a retried delivery is the same day's run and sends
nothing twice (each step is recorded before it is carried out). `"today": "YYYY-MM-DD"` overrides it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.schedule import ScheduledCall, scheduled_handler
from billing.wiring.core import send_reminders


def remind(call: ScheduledCall, logger: Logger, metrics: Metrics) -> dict[str, Any]:
    summary = send_reminders()(call.tenant_id, call.day)
    for failure in summary.failed:
        logger.error("dunning failed for an invoice", extra={"failure": failure})
    logger.info("dunning run done", extra={"checked": summary.checked, "outcomes": dict(summary.outcomes)})
    metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=summary.reminders_sent)
    metrics.add_metric(name="MandateRetriesRequested", unit=MetricUnit.Count, value=summary.retries_requested)
    metrics.add_metric(name="DunningFailures", unit=MetricUnit.Count, value=len(summary.failed))
    return {
        "today": call.day.isoformat(),
        "checked": summary.checked,
        "reminders_sent": summary.reminders_sent,
        "retries_requested": summary.retries_requested,
        "outcomes": dict(summary.outcomes),
        "failed": summary.failed,
    }


lambda_handler = scheduled_handler("today", remind)
