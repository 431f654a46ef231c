"""Lambda: EventBridge Scheduler starts a tenant's billing run (template: StartBillingRunFunction).

The event is the schedule's Input: {"tenant_id", "scheduled_time", "execution_id"}. The run date is the
scheduled time's date in Europe/Stockholm, so a retried delivery joins the same run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.schedule import ScheduledCall, scheduled_handler
from billing.wiring.core import start_billing_run


def start(call: ScheduledCall, logger: Logger, metrics: Metrics) -> dict[str, Any]:
    started = start_billing_run()(call.tenant_id, call.day, call.event.customer_ids)
    logger.info("billing run started", extra={"run_id": started.run_id, "queued": started.queued})
    metrics.add_metric(name="CustomersQueued", unit=MetricUnit.Count, value=started.queued)
    return {"run_id": started.run_id, "queued": started.queued}


lambda_handler = scheduled_handler("run_date", start)
