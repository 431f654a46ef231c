"""Billing periods: monthly, quarterly, yearly; calendar or anniversary anchored; in a time zone.

A period is a half-open range of local dates [start, end). Usage belongs to the period when its instant
falls between local midnight of `start` and local midnight of `end` in the customer's time zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Interval(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "yearly": 12}[self.value]


class Anchor(StrEnum):
    CALENDAR = "calendar"  # periods start on the 1st of a month/quarter/year
    ANNIVERSARY = "anniversary"  # periods start on the subscription's start day


@dataclass(frozen=True, order=True)
class Period:
    """Local dates [start, end): `end` is the first day of the next period."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def overlap(self, start: date, end: date) -> Period | None:
        """The part of this period inside [start, end), or None."""
        lo, hi = max(self.start, start), min(self.end, end)
        return Period(lo, hi) if lo < hi else None

    def label(self) -> str:
        """'2026-03-01 – 2026-03-31' (inclusive end, as people write it)."""
        return f"{self.start.isoformat()} – {(self.end - timedelta(days=1)).isoformat()}"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Period:
        return cls(date.fromisoformat(data["start"]), date.fromisoformat(data["end"]))


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """`day` moved by `months`, on `anchor_day` (default: day's own) clamped to the month's length.

    Each boundary is computed from the anchor, never chained, so Jan 31 -> Feb 28 -> Mar 31.
    """
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    wanted = anchor_day if anchor_day is not None else day.day
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def period_containing(day: date, interval: Interval, anchor: Anchor, anchor_date: date) -> Period:
    """The billing period that contains the local date `day`.

    Calendar periods start on the first day of a month, quarter (Jan/Apr/Jul/Oct) or year. Anniversary
    periods start on `anchor_date`'s day of month (clamped to short months), every `interval`.
    """
    step = interval.months
    if anchor is Anchor.CALENDAR:
        first_month = ((day.month - 1) // step) * step + 1
        start = date(day.year, first_month, 1)
        return Period(start, add_months(start, step))
    # Anniversary: count whole intervals from the anchor date, forwards or backwards.
    months_between = (day.year - anchor_date.year) * 12 + (day.month - anchor_date.month)
    k = months_between // step
    start = add_months(anchor_date, k * step, anchor_date.day)
    while start > day:
        k -= 1
        start = add_months(anchor_date, k * step, anchor_date.day)
    end = add_months(anchor_date, (k + 1) * step, anchor_date.day)
    while end <= day:
        k += 1
        start, end = end, add_months(anchor_date, (k + 1) * step, anchor_date.day)
    return Period(start, end)


def next_period(period: Period, interval: Interval, anchor: Anchor, anchor_date: date) -> Period:
    return period_containing(period.end, interval, anchor, anchor_date)


def previous_period(period: Period, interval: Interval, anchor: Anchor, anchor_date: date) -> Period:
    return period_containing(period.start - timedelta(days=1), interval, anchor, anchor_date)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant local `day` begins in `tz`, in UTC.

    In UTC because Python subtracts two datetimes that share a tzinfo by wall clock: across a daylight
    saving change that would make March 744 hours long in Stockholm instead of 743.
    """
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def days_text(days: int, of_days: int, language: str) -> str:
    """The proration note on a line: '12 of 30 days' / '12 av 30 dagar'."""
    if language == "sv":
        return f"{days} av {of_days} dagar"
    return f"{days} of {of_days} days"


def months_available(start: date, today: date) -> list[date]:
    """Every month from the subscription's start to today, newest first (what the page links)."""
    month, last, out = start.replace(day=1), today.replace(day=1), []
    while month <= last:
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out[::-1]
