"""Lambda: EventBridge Scheduler starts a tenant's billing run (template: StartBillingRunFunction).

The event is the schedule's Input: {"tenant_id", "scheduled_time", "execution_id"}. The run date is the
scheduled time's date in Europe/Stockholm, so a retried delivery joins the same run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.schedule import scheduled_day
from billing.handlers.tracing import make_tracer
from billing.wiring.core import start_billing_run

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id = str(event["tenant_id"])
    run_date = scheduled_day(event, "run_date")
    only = [str(c) for c in event.get("customer_ids") or []]
    logger.append_keys(tenant_id=tenant_id, run_date=run_date.isoformat())
    started = start_billing_run()(tenant_id, run_date, only)
    logger.info("billing run started", extra={"run_id": started.run_id, "queued": started.queued})
    metrics.add_metric(name="CustomersQueued", unit=MetricUnit.Count, value=started.queued)
    return {"run_id": started.run_id, "queued": started.queued}
