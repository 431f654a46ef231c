"""The tenant's scheduled jobs (billing run start, reminders, automatic payments): the day a job works
for, EventBridge Scheduler's `scheduled_time` read in Stockholm or the ISO date an operator passes to
run a given day again, and the one Lambda handler shape they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def scheduled_day(event: dict[str, Any], override: str) -> date:
    """`event[override]` (an ISO date) when given, else the Stockholm date of `scheduled_time` (an
    instant with an offset or Z): the schedules fire at Swedish hours, so the UTC date can be a day off."""
    if event.get(override):
        return date.fromisoformat(str(event[override]))
    scheduled = datetime.fromisoformat(str(event["scheduled_time"]).replace("Z", "+00:00"))
    return scheduled.astimezone(STOCKHOLM).date()


@dataclass(frozen=True)
class ScheduledCall:
    """One delivery of a tenant's schedule: whose, for which day, and the event itself."""

    tenant_id: str
    day: date
    event: dict[str, Any]


Job = Callable[[ScheduledCall, Logger, Metrics], dict[str, Any]]


def scheduled_handler(day_key: str, job: Job) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of a tenant's scheduled job: the tenant and the day (`day_key` is the event's
    override and the log key) on every log line, traced without the response, metrics flushed, and
    `job` given the call with the logger and metrics to report through."""
    logger, tracer, metrics = Logger(), make_tracer(), Metrics()

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        call = ScheduledCall(str(event["tenant_id"]), scheduled_day(event, day_key), event)
        logger.append_keys(tenant_id=call.tenant_id, **{day_key: call.day.isoformat()})
        return job(call, logger, metrics)

    return lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
