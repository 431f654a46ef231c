"""Worked examples for every aggregation, filters, and event order."""

from __future__ import annotations

import random
from typing import Any

from pricing_builders import event, lines_of, plan, scenario, usage

from billing.domain.scenario import quote_scenario


def quantity(charge: dict[str, Any], events: list[dict[str, Any]]) -> str:
    charge.setdefault("unit_price", "1")
    (line,) = lines_of(quote_scenario(scenario(plan(charge), events=events)))
    return str(line["quantity"])


FEB = "2026-02-{day:02d}T12:00:00+01:00"


def test_count_counts_events_once_per_id() -> None:
    events = [event(1, FEB.format(day=2)), event(2, FEB.format(day=3)), event(1, FEB.format(day=2))]
    assert quantity(usage("c", "per_unit", aggregation="count"), events) == "2"


def test_sum_adds_values_or_a_numeric_property() -> None:
    events = [
        event(1, FEB.format(day=2), value="1.25", gb="10"),
        event(2, FEB.format(day=3), value=2, gb="5"),
    ]
    assert quantity(usage("s", "per_unit", aggregation="sum"), events) == "3.25"
    assert quantity(usage("s", "per_unit", aggregation="sum", field="gb"), events) == "15"


def test_max_takes_the_largest_value() -> None:
    events = [event(i, FEB.format(day=i + 1), value=v) for i, v in enumerate([3, 17, 5])]
    assert quantity(usage("m", "per_unit", aggregation="max"), events) == "17"


def test_unique_count_counts_distinct_property_values() -> None:
    events = [
        event(1, FEB.format(day=2), user="anna"),
        event(2, FEB.format(day=3), user="bo"),
        event(3, FEB.format(day=4), user="anna"),
    ]
    assert quantity(usage("u", "per_unit", aggregation="unique_count", field="user"), events) == "2"


def test_latest_is_the_last_value_in_the_period() -> None:
    events = [
        event(1, FEB.format(day=2), value=40),
        event(2, FEB.format(day=20), value=12),
        event(3, "2026-03-02T12:00:00+01:00", value=99),  # next period: not this invoice's
    ]
    assert quantity(usage("l", "per_unit", aggregation="latest"), events) == "12"


def test_weighted_sum_weights_each_level_by_the_time_it_was_held() -> None:
    # Given 10 seats since January and 20 seats from 15 February 00:00 (14 of February's 28 days)
    events = [
        event(1, "2026-01-20T09:00:00+01:00", value=10),
        event(2, "2026-02-15T00:00:00+01:00", value=20),
    ]
    # Then February's weighted seats are 10 x 14/28 + 20 x 14/28 = 15
    assert quantity(usage("seats", "per_unit", aggregation="weighted_sum"), events) == "15"


def test_weighted_sum_is_rounded_to_four_decimals_before_pricing() -> None:
    # Given 1 kW from 1 February 08:00: held 27 days 16 hours of 28 days = 0.988095...
    events = [event(1, "2026-02-01T08:00:00+01:00", value=1)]
    (line,) = lines_of(
        quote_scenario(
            scenario(
                plan(usage("kw", "per_unit", aggregation="weighted_sum", unit_price="10000")), events=events
            )
        )
    )
    assert (line["quantity"], line["amount"]) == ("0.9881", 9881)


def test_filters_keep_only_matching_events() -> None:
    events = [
        event(1, FEB.format(day=2), region="se"),
        event(2, FEB.format(day=3), region="us"),
        event(3, FEB.format(day=4)),
    ]
    charge = usage("c", "per_unit", aggregation="count", filters={"region": ["se", "no"]})
    assert quantity(charge, events) == "1"


def test_any_event_order_gives_the_same_invoice() -> None:
    # Given a mix of events for every aggregation
    events = [event(i, FEB.format(day=1 + i % 27), value=str(i % 7), user=f"u{i % 5}") for i in range(60)]
    charges = [
        usage("a", "per_unit", aggregation="count", unit_price="3"),
        usage(
            "b",
            "graduated",
            aggregation="sum",
            tiers=[{"up_to": 50, "unit_price": "5"}, {"up_to": None, "unit_price": "1"}],
        ),
        usage("c", "volume", aggregation="max", tiers=[{"up_to": None, "unit_price": "7"}]),
        usage("d", "per_unit", aggregation="unique_count", field="user", unit_price="11"),
        usage("e", "per_unit", aggregation="latest", unit_price="13"),
        usage("f", "per_unit", aggregation="weighted_sum", unit_price="17"),
    ]
    expected = quote_scenario(scenario(plan(*charges), events=events))
    # When the events arrive shuffled, Then the invoice is identical
    for seed in range(5):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        assert quote_scenario(scenario(plan(*charges), events=shuffled)) == expected


def test_weighted_sum_counts_real_hours_across_daylight_saving_time() -> None:
    # Given March in Stockholm (743 hours: clocks go forward on 29 March) and one seat all month,
    # then a second seat from 16 March 00:00 (the last 383 hours)
    events = [
        event(1, "2026-02-20T09:00:00+01:00", value=1),
        event(2, "2026-03-16T00:00:00+01:00", value=2),
    ]
    charge = usage("seats", "per_unit", aggregation="weighted_sum", unit_price="1")
    data = scenario(plan(charge), events=events, period_start="2026-04-01")
    (line,) = lines_of(quote_scenario(data))
    # Then the seats are (1 x 360 + 2 x 383) / 743 = 1.51548..., not a wall-clock 744-hour month
    assert line["quantity"] == "1.5155"


def test_weighted_sum_of_a_constant_level_is_that_level_in_a_dst_month() -> None:
    events = [event(1, "2026-02-20T09:00:00+01:00", value=3)]
    charge = usage("seats", "per_unit", aggregation="weighted_sum", unit_price="1")
    (line,) = lines_of(quote_scenario(scenario(plan(charge), events=events, period_start="2026-04-01")))
    assert line["quantity"] == "3"
