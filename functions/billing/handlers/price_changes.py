"""Lambda: the daily price-change run (template: PriceChangesFunction, EventBridge Scheduler).

For every change not yet done, of every tenant: notices to the customers it affects, each sent once
(a failed send is tried again on the next run), and on or after the effective date what each customer
chose, through the subscription use cases (billing.services.price_changes). The run acts as of the
schedule's `scheduled_time`, so a retried delivery is the same run; `"now"` (ISO) overrides it on the
local stack (`python -m infra.local_price_changes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.price_change import carry_out, notify_customers, price_changes

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


class RunClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The event's model loads pydantic: at the run, not at every cold start's import.
    from billing.handlers.events import RunInput, read_event

    clock = RunClock(read_event(RunInput, event).moment())
    notify, carry = notify_customers(clock), carry_out(clock)
    created = sent = done = 0
    for change in price_changes().open_changes():
        logger.append_keys(tenant_id=change.tenant_id, version=change.version)
        made, out = notify(change)
        created, sent = created + made, sent + out
    # Read again: a change noticed just now is carried out only when its day has come.
    for change in price_changes().open_changes():
        done += carry(change)
    logger.info(
        "price-change run done", extra={"notices_created": created, "notices_sent": sent, "carried_out": done}
    )
    metrics.add_metric(name="PriceChangeNoticesSent", unit=MetricUnit.Count, value=sent)
    metrics.add_metric(name="PriceChangesCarriedOut", unit=MetricUnit.Count, value=done)
    return {"notices_created": created, "notices_sent": sent, "carried_out": done}


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
