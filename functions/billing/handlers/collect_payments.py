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

from billing.handlers.schedule import ScheduledCall, scheduled_handler
from billing.wiring.core import collect_due_payments


def collect(call: ScheduledCall, logger: Logger, metrics: Metrics) -> dict[str, Any]:
    result = collect_due_payments()(call.tenant_id, call.day)
    summary = result.to_dict()
    for failure in result.failures:
        logger.error("collecting an invoice failed", extra={"failure": failure})
    logger.info("automatic payments collected", extra=summary)
    for name, value in summary.items():
        if value:
            metrics.add_metric(name=f"Autopay_{name}", unit=MetricUnit.Count, value=value)
    return {**summary, "failures": result.failures}


lambda_handler = scheduled_handler("collect_date", collect)
