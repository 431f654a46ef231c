"""The tenant's scheduled jobs (billing run start, reminders, automatic payments): the one Lambda
handler shape they share. The schedule's event is read by `billing.handlers.events.ScheduleInput`: the
day a job works for is EventBridge Scheduler's `scheduled_time` read in Stockholm, or the ISO date an
operator passes to run a given day again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer

if TYPE_CHECKING:
    from billing.handlers.events import ScheduleInput


@dataclass(frozen=True)
class ScheduledCall:
    """One delivery of a tenant's schedule: whose, for which day, and the event itself."""

    tenant_id: str
    day: date
    event: ScheduleInput


Job = Callable[[ScheduledCall, Logger, Metrics], dict[str, Any]]


def scheduled_handler(day_key: str, job: Job) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of a tenant's scheduled job: the tenant and the day (`day_key` is the event's
    override and the log key) on every log line, traced without the response, metrics flushed, and
    `job` given the call with the logger and metrics to report through."""
    logger, tracer, metrics = Logger(), make_tracer(), Metrics()

    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # The event's model loads pydantic: at the run, not at every cold start's import.
        from billing.handlers.events import ScheduleInput, read_event

        schedule = read_event(ScheduleInput, event)
        call = ScheduledCall(schedule.tenant_id, schedule.day(day_key), schedule)
        logger.append_keys(tenant_id=call.tenant_id, **{day_key: call.day.isoformat()})
        return job(call, logger, metrics)

    return lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
