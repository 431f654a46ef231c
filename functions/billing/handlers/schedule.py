"""The day a scheduled Lambda works for: EventBridge Scheduler's `scheduled_time` read in Stockholm,
or the ISO date an operator passes to run a given day again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def scheduled_day(event: dict[str, Any], override: str) -> date:
    """`event[override]` (an ISO date) when given, else the Stockholm date of `scheduled_time` (an
    instant with an offset or Z): the schedules fire at Swedish hours, so the UTC date can be a day off."""
    if event.get(override):
        return date.fromisoformat(str(event[override]))
    scheduled = datetime.fromisoformat(str(event["scheduled_time"]).replace("Z", "+00:00"))
    return scheduled.astimezone(STOCKHOLM).date()
