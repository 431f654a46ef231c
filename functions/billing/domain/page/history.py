"""Gathering the customer's recent usage per billing period, for plan fit.

The caller (the presenter) loads the customer's usage events since `earliest_usage_start(...)` and
passes them to `recent_usage`, which cuts them into the last closed billing periods before the
invoice's period, each with the plan that was active. Periods the subscription did not cover in full
are left out: re-pricing half a month's usage with a whole month's fees would mislead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from billing.domain.catalog import Subscription
from billing.domain.page.context import PeriodUsage
from billing.domain.periods import Interval, Period, local_date, period_containing, previous_period
from billing.domain.usage import UsageEvent


def closed_periods(subscription: Subscription, interval: Interval, before: date, count: int) -> list[Period]:
    """Up to `count` whole billing periods ending on or before `before`, oldest first, that the
    subscription covered from start to end."""
    anchor, anchor_day = subscription.anchor, subscription.anchor_day
    periods: list[Period] = []
    period = period_containing(before - timedelta(days=1), interval, anchor, anchor_day)
    while len(periods) < count and period.start >= subscription.start_date:
        if subscription.end_date is None or period.end <= subscription.end_date:
            periods.append(period)
        period = previous_period(period, interval, anchor, anchor_day)
    return list(reversed(periods))


def earliest_usage_start(
    subscription: Subscription, interval: Interval, before: date, count: int
) -> date | None:
    """The first local date whose usage `recent_usage` needs (None: no whole period yet)."""
    periods = closed_periods(subscription, interval, before, count)
    return periods[0].start if periods else None


def recent_usage(
    events: Iterable[UsageEvent],
    subscription: Subscription,
    interval: Interval,
    before: date,
    count: int,
    timezone: str,
) -> tuple[PeriodUsage, ...]:
    """The last `count` whole periods before `before`, each with its own events (by local date)."""
    tz = ZoneInfo(timezone)
    periods = closed_periods(subscription, interval, before, count)
    by_period: dict[Period, list[UsageEvent]] = {p: [] for p in periods}
    for event in events:
        day = local_date(event.timestamp, tz)
        for period in periods:
            if period.contains(day):
                by_period[period].append(event)
                break
    return tuple(
        PeriodUsage(period=p, events=tuple(by_period[p]), plan_code=subscription.plan_code_on(p.start))
        for p in periods
    )
