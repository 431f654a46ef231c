"""Lambda: the daily collector of automatic payments (template: CollectPaymentsFunction).

EventBridge Scheduler calls it each morning (Europe/Stockholm) with {"tenant_id", "scheduled_time"}. It
charges, off-session, every open invoice due by that day whose customer saved a payment method, on the
tenant's retry schedule. Each charge's idempotency key is `<invoice>:charge:<attempt>`, so a retried
invocation never charges twice; the payment itself is settled by its webhook.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.schedule import scheduled_day
from billing.handlers.tracing import make_tracer
from billing.wiring.core import collect_due_payments

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id = str(event["tenant_id"])
    today = scheduled_day(event, "collect_date")
    logger.append_keys(tenant_id=tenant_id, collect_date=today.isoformat())
    result = collect_due_payments()(tenant_id, today)
    summary = result.to_dict()
    for failure in result.failures:
        logger.error("collecting an invoice failed", extra={"failure": failure})
    logger.info("automatic payments collected", extra=summary)
    for name, value in summary.items():
        if value:
            metrics.add_metric(name=f"Autopay_{name}", unit=MetricUnit.Count, value=value)
    return {**summary, "failures": result.failures}
