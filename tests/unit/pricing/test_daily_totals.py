"""Billing from ingestion's daily totals gives the invoice the events themselves give.

The billing worker reads daily totals (sum and count per local day and metric) instead of raw events for
every metric the catalog only sums or counts (services/billed_usage.py). These tests hold the engine to
that: over generated catalogs, plans, zones, phase changes and events, the two inputs price the same.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from pricing_builders import plan, scenario, usage
from test_properties import SETTINGS, scenarios

from billing.domain.catalog import Catalog
from billing.domain.periods import period_containing, previous_period
from billing.domain.pricing import compute_invoice
from billing.domain.scenario import (
    parse_catalog,
    parse_coupon,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
)
from billing.domain.usage import UsageEvent, additive_metrics, daily_total_events, relevant
from billing.services.billed_usage import billed_window


def _daily_totals(
    events: list[UsageEvent], metrics: frozenset[str], timezone: str
) -> dict[tuple[date, str], tuple[Decimal, int]]:
    """What ingestion keeps: per local day of the event's instant, the sum of values and the count."""
    totals: dict[tuple[date, str], tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
    for e in events:
        if e.metric in metrics:
            key = (e.timestamp.astimezone(ZoneInfo(timezone)).date(), e.metric)
            value, count = totals[key]
            totals[key] = (value + e.value, count + 1)
    return dict(totals)


def _invoice(data: dict[str, Any], catalog: Catalog, events: list[UsageEvent]) -> dict[str, Any]:
    return compute_invoice(
        tenant=parse_tenant_settings(data["tenant"], "tenant"),
        catalog=catalog,
        customer=parse_customer(data["customer"], "customer"),
        subscription=parse_subscription(data["subscription"], "subscription"),
        events=events,
        period_start=date.fromisoformat(data["period_start"]),
        balance=data.get("balance", 0),
        coupons=[parse_coupon(c, "coupon") for c in data.get("coupons", [])],
    ).to_dict()


@SETTINGS
@given(scenarios())
def test_daily_totals_price_exactly_as_the_events_they_sum(data: dict[str, Any]) -> None:
    catalog = parse_catalog(data["catalog"], "catalog")
    raw = [parse_usage_event(e) for e in data["events"]]
    summed = additive_metrics(catalog)
    timezone = data["customer"]["timezone"]
    from_totals = [e for e in raw if e.metric not in summed] + daily_total_events(
        "c1", _daily_totals(raw, summed, timezone), timezone
    )
    assert _invoice(data, catalog, from_totals) == _invoice(data, catalog, raw)


def test_a_metric_is_billed_from_totals_only_when_every_charge_on_it_sums_or_counts() -> None:
    catalog = parse_catalog(
        {
            "plans": [
                plan(
                    usage("data", "per_unit", metric="gb", aggregation="sum", unit_price="100"),
                    usage(
                        "calls",
                        "package",
                        metric="call",
                        aggregation="count",
                        package_size=10,
                        package_price=500,
                    ),
                    usage("seats", "per_unit", metric="seat", aggregation="max", unit_price="100"),
                    usage("fx", "percentage", metric="payment", percentage="1.5"),
                ),
                plan(
                    # The same metric with a filter in another plan needs the events' properties.
                    usage(
                        "eu",
                        "per_unit",
                        metric="call",
                        aggregation="count",
                        unit_price="10",
                        filters={"region": ["eu"]},
                    ),
                    code="q",
                ),
            ]
        },
        "catalog",
    )
    assert additive_metrics(catalog) == {"gb"}


def test_a_total_never_reaches_a_charge_that_needs_single_events() -> None:
    data = scenario(plan(usage("seats", "per_unit", metric="m", aggregation="max", unit_price="100")))
    catalog = parse_catalog(data["catalog"], "catalog")
    totals = daily_total_events("c1", {(date(2026, 2, 3), "m"): (Decimal(7), 3)}, "Europe/Stockholm")
    charge = catalog.plan("p").charges[0]
    with pytest.raises(ValueError, match="seats: max needs single events"):
        relevant(totals, charge)


def test_a_daily_total_counts_as_the_events_it_stands_for() -> None:
    data = scenario(
        plan(usage("calls", "per_unit", metric="m", aggregation="count", unit_price="100")),
        period_start="2026-03-01",
    )
    catalog = parse_catalog(data["catalog"], "catalog")
    totals = daily_total_events(
        "c1",
        {(date(2026, 2, 1), "m"): (Decimal("5.5"), 4), (date(2026, 2, 28), "m"): (Decimal(1), 2)},
        "Europe/Stockholm",
    )
    lines = [x for x in _invoice(data, catalog, totals)["lines"] if x["charge_code"] == "calls"]
    assert [x["quantity"] for x in lines] == ["6"]


@SETTINGS
@given(scenarios())
def test_the_billed_window_alone_prices_as_all_the_usage_read(data: dict[str, Any]) -> None:
    # Given the usage the worker reads (raw events where needed, daily totals elsewhere) for the page's
    # plan-fit periods as well as the billed one
    catalog = parse_catalog(data["catalog"], "catalog")
    raw = [parse_usage_event(e) for e in data["events"]]
    summed = additive_metrics(catalog)
    timezone = data["customer"]["timezone"]
    read = [e for e in raw if e.metric not in summed] + daily_total_events(
        "c1", _daily_totals(raw, summed, timezone), timezone
    )
    subscription = parse_subscription(data["subscription"], "subscription")
    interval = catalog.plan(subscription.phases[0].plan_code).interval
    anchor, day = subscription.anchor, subscription.anchor_day
    period = period_containing(date.fromisoformat(data["period_start"]), interval, anchor, day)
    billed_from = previous_period(period, interval, anchor, day).start
    # When the engine gets only the billed window of it
    window = billed_window(read, catalog, billed_from, timezone)
    # Then the invoice is the same
    assert _invoice(data, catalog, window) == _invoice(data, catalog, read)
