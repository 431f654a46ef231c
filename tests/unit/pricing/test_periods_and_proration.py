"""Periods (calendar, anniversary, quarterly, yearly), proration on both ends, plan changes."""

from __future__ import annotations

from datetime import date

import pytest
from pricing_builders import event, flat, lines_of, plan, scenario, usage

from billing.domain.periods import Anchor, Interval, Period, period_containing
from billing.domain.scenario import quote_scenario


@pytest.mark.parametrize(
    ("day", "interval", "anchor", "anchor_date", "expected"),
    [
        (
            date(2026, 2, 14),
            Interval.MONTHLY,
            Anchor.CALENDAR,
            date(2025, 1, 9),
            ("2026-02-01", "2026-03-01"),
        ),
        (
            date(2026, 5, 31),
            Interval.QUARTERLY,
            Anchor.CALENDAR,
            date(2025, 1, 9),
            ("2026-04-01", "2026-07-01"),
        ),
        (
            date(2026, 12, 31),
            Interval.YEARLY,
            Anchor.CALENDAR,
            date(2025, 1, 9),
            ("2026-01-01", "2027-01-01"),
        ),
        # Anniversary on the 31st: clamped to short months, back to the 31st after them
        (
            date(2026, 2, 27),
            Interval.MONTHLY,
            Anchor.ANNIVERSARY,
            date(2026, 1, 31),
            ("2026-01-31", "2026-02-28"),
        ),
        (
            date(2026, 2, 28),
            Interval.MONTHLY,
            Anchor.ANNIVERSARY,
            date(2026, 1, 31),
            ("2026-02-28", "2026-03-31"),
        ),
        (
            date(2026, 4, 30),
            Interval.MONTHLY,
            Anchor.ANNIVERSARY,
            date(2026, 1, 31),
            ("2026-04-30", "2026-05-31"),
        ),
        (
            date(2026, 6, 14),
            Interval.QUARTERLY,
            Anchor.ANNIVERSARY,
            date(2025, 11, 15),
            ("2026-05-15", "2026-08-15"),
        ),
        (
            date(2028, 2, 28),
            Interval.YEARLY,
            Anchor.ANNIVERSARY,
            date(2024, 2, 29),
            ("2027-02-28", "2028-02-29"),
        ),
    ],
)
def test_period_containing(
    day: date, interval: Interval, anchor: Anchor, anchor_date: date, expected: tuple[str, str]
) -> None:
    period = period_containing(day, interval, anchor, anchor_date)
    assert period == Period(date.fromisoformat(expected[0]), date.fromisoformat(expected[1]))
    assert period.contains(day)


def test_start_inside_the_period_prorates_the_fee_by_days() -> None:
    # Given a 310 kr monthly fee and a subscription starting 19 March
    data = scenario(plan(flat(amount=31000)), phases=[{"plan": "p", "start": "2026-03-19"}])
    # When March is invoiced
    (fee,) = lines_of(quote_scenario(data))
    # Then 13 of 31 days are billed: 31000 x 13 / 31 = 13000
    assert (fee["amount"], fee["proration"]) == (13000, "13 of 31 days")
    assert fee["period"] == {"start": "2026-03-19", "end": "2026-04-01"}


def test_proration_on_both_ends() -> None:
    # Given a subscription from 10 March to 25 March (exclusive), known from the start
    data = scenario(plan(flat(amount=31000)), phases=[{"plan": "p", "start": "2026-03-10"}])
    data["subscription"]["end_date"] = "2026-03-25"
    # When March is invoiced, Then 15 of 31 days: 15000
    (fee,) = lines_of(quote_scenario(data))
    assert (fee["amount"], fee["proration"]) == (15000, "15 of 31 days")


def test_anniversary_periods_prorate_nothing_at_the_start() -> None:
    data = scenario(
        plan(flat(amount=31000)), phases=[{"plan": "p", "start": "2026-03-19"}], period_start="2026-04-02"
    )
    data["subscription"]["anchor"] = "anniversary"
    result = quote_scenario(data)
    assert result["period"] == {"start": "2026-03-19", "end": "2026-04-19"}
    assert [(x["amount"], x["proration"]) for x in result["lines"]] == [(31000, None)]


def test_a_cancellation_after_billing_credits_the_unused_days_next_time() -> None:
    # Given March billed in full and a cancellation on 20 March, effective 21 March
    data = scenario(
        plan(flat(amount=31000), usage("c", "per_unit", aggregation="count", unit_price="100")),
        events=[event(1, "2026-03-05T10:00:00+01:00"), event(2, "2026-03-22T10:00:00+01:00")],
        period_start="2026-04-01",
    )
    data["subscription"].update(end_date="2026-03-21", cancelled_on="2026-03-20")
    # When April is invoiced
    result = quote_scenario(data)
    # Then no April fee, March usage up to the end, and 11 of 31 unused days credited
    assert [(x["kind"], x["amount"], x["proration"]) for x in result["lines"]] == [
        ("usage", 100, None),
        ("credit", -11000, "11 of 31 days"),
    ]


def test_plan_change_splits_usage_at_the_change() -> None:
    # Given basic until 15 February and pro after, with one call on each side
    basic = plan(
        flat(amount=10000), usage("c", "per_unit", aggregation="count", unit_price="100"), code="basic"
    )
    pro = plan(flat(amount=30000), usage("c", "per_unit", aggregation="count", unit_price="50"), code="pro")
    data = scenario(
        basic,
        pro,
        events=[event(1, "2026-02-10T10:00:00+01:00"), event(2, "2026-02-20T10:00:00+01:00")],
        phases=[{"plan": "basic", "start": "2026-01-01"}, {"plan": "pro", "start": "2026-02-15"}],
    )
    # When March is invoiced
    result = quote_scenario(data)
    # Then March's fee is pro's, and February's calls are priced by the plan of their day
    assert [(x["kind"], x["amount"], x["period"]["start"]) for x in result["lines"]] == [
        ("fee", 30000, "2026-03-01"),
        ("usage", 100, "2026-02-01"),
        ("usage", 50, "2026-02-15"),
    ]


def test_upgrade_now_credits_old_and_charges_new_for_the_days_left() -> None:
    # Given basic 100 kr/month and an upgrade to pro 300 kr/month on 19 March (13 of 31 days left)
    basic = plan(flat(amount=10000), code="basic")
    pro = plan(flat(amount=30000), code="pro")
    data = scenario(basic, pro, action="plan_change", plan_change={"plan": "pro", "date": "2026-03-19"})
    # When the change is quoted
    result = quote_scenario(data)
    # Then it applies now: -100 x 13/31 = -41.935.. -> -41.94; +300 x 13/31 = 125.806.. -> 125.81
    assert result["immediate"] is True and result["effective_date"] == "2026-03-19"
    lines = result["invoice"]["lines"]
    assert [(x["amount"], x["proration"]) for x in lines] == [
        (-4194, "13 of 31 days"),
        (12581, "13 of 31 days"),
    ]
    # And 83.87 + 25 % VAT 20.97 (20.9675) = 104.84, rounded to 105 kr
    assert (result["invoice"]["vat_total"], result["due_now"]) == (2097, 10500)


def test_downgrade_takes_effect_at_period_end_and_costs_nothing_now() -> None:
    basic = plan(flat(amount=10000), code="basic")
    pro = plan(flat(amount=30000), code="pro")
    data = scenario(
        pro,
        basic,
        action="plan_change",
        plan_change={"plan": "basic", "date": "2026-03-19"},
        phases=[{"plan": "pro", "start": "2026-01-01"}],
    )
    result = quote_scenario(data)
    assert (result["immediate"], result["effective_date"], result["due_now"], result["invoice"]) == (
        False,
        "2026-04-01",
        0,
        None,
    )


def test_preview_prices_this_period_so_far() -> None:
    # Given calls on 2 and 20 March, previewed on 10 March
    data = scenario(
        plan(flat(amount=10000), usage("c", "per_unit", aggregation="count", unit_price="100")),
        events=[event(1, "2026-03-02T10:00:00+01:00"), event(2, "2026-03-20T10:00:00+01:00")],
        action="preview",
        as_of="2026-03-10T12:00:00+01:00",
    )
    result = quote_scenario(data)
    # Then the preview is next period's invoice with March's usage so far
    assert result["kind"] == "preview" and result["issue_date"] == "2026-03-10"
    assert [(x["kind"], x["amount"]) for x in result["lines"]] == [("fee", 10000), ("usage", 100)]


def test_a_plan_change_outside_the_subscription_names_the_scenario_field() -> None:
    from billing.domain.pricing_errors import ScenarioError

    basic, pro = plan(flat(amount=10000), code="basic"), plan(flat(amount=30000), code="pro")
    data = scenario(basic, pro, action="plan_change", plan_change={"plan": "pro", "date": "2025-12-19"})
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(data)
    assert raised.value.field == "plan_change.date"
