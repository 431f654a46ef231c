"""Recent usage per whole billing period, for plan fit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billing.domain.catalog import PlanPhase, Subscription
from billing.domain.page.history import closed_periods, earliest_usage_start, recent_usage
from billing.domain.periods import Anchor, Interval, Period
from billing.domain.usage import UsageEvent


def subscription(start: date, *, end: date | None = None) -> Subscription:
    return Subscription(
        id="s1",
        customer_id="c1",
        anchor=Anchor.CALENDAR,
        phases=(PlanPhase("bas", start), PlanPhase("max", date(2026, 10, 1))),
        end_date=end,
    )


def event(i: int, at: datetime) -> UsageEvent:
    return UsageEvent(id=f"e{i}", customer_id="c1", metric="data_gb", timestamp=at, value=Decimal(1))


def test_the_last_whole_periods_before_the_invoice_oldest_first() -> None:
    periods = closed_periods(subscription(date(2026, 1, 1)), Interval.MONTHLY, date(2026, 11, 1), 3)
    assert periods == [
        Period(date(2026, 8, 1), date(2026, 9, 1)),
        Period(date(2026, 9, 1), date(2026, 10, 1)),
        Period(date(2026, 10, 1), date(2026, 11, 1)),
    ]


def test_a_period_the_subscription_did_not_cover_in_full_is_left_out() -> None:
    # Started 15 Sep: September was partial, so only October counts
    sub = Subscription(
        id="s", customer_id="c1", anchor=Anchor.CALENDAR, phases=(PlanPhase("bas", date(2026, 9, 15)),)
    )
    assert closed_periods(sub, Interval.MONTHLY, date(2026, 11, 1), 3) == [
        Period(date(2026, 10, 1), date(2026, 11, 1))
    ]
    assert earliest_usage_start(sub, Interval.MONTHLY, date(2026, 10, 1), 3) is None


def test_events_go_to_the_period_of_their_local_date_with_the_plan_then_active() -> None:
    # Given an event late on 30 Sep UTC, which is already 1 Oct in Stockholm
    events = [
        event(1, datetime(2026, 9, 10, 12, tzinfo=UTC)),
        event(2, datetime(2026, 9, 30, 22, 30, tzinfo=UTC)),
        event(3, datetime(2026, 11, 2, tzinfo=UTC)),  # after the invoice period began: not used
    ]
    usage = recent_usage(
        events, subscription(date(2026, 1, 1)), Interval.MONTHLY, date(2026, 11, 1), 2, "Europe/Stockholm"
    )
    assert [(u.period.start, [e.id for e in u.events], u.plan_code) for u in usage] == [
        (date(2026, 9, 1), ["e1"], "bas"),
        (date(2026, 10, 1), ["e2"], "max"),
    ]
