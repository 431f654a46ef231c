"""The acceptance of issue 18's backtest: a known 12-month history, its backtest equal to the sum of
the 12 invoices re-quoted one by one on the new version by the engine that prices invoices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.catalog import PlanPhase
from billing.domain.periods import Anchor, Interval, period_containing, previous_period
from billing.domain.price_change import BilledPeriod, backtest, best_fit
from billing.domain.pricing import compute_invoice
from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.domain.usage import UsageEvent
from tests.unit.price_changes.fakes import TENANT, customer, plan, subscription

NEW = {**plan("bas@v2", 12900, "2.5"), "name": "Bas", "version_of": "bas", "effective_from": "2027-03-01"}
CATALOG = parse_catalog({"plans": [plan("bas", 9900), NEW, plan("plus", 19900, "0.5")]})
SETTINGS = parse_tenant_settings(TENANT)


def _history(sub_start: date) -> list[BilledPeriod]:
    """Twelve monthly invoices, Feb 2026 .. Jan 2027, each billing the month before's calls: 40, 50, ..."""
    history = []
    for i in range(12):
        start = date(2026 + (1 + i) // 12, (1 + i) % 12 + 1, 1)
        period = period_containing(start, Interval.MONTHLY, Anchor.CALENDAR, sub_start)
        used = previous_period(period, Interval.MONTHLY, Anchor.CALENDAR, sub_start)
        events = [
            UsageEvent(
                id=f"e{i}-{n}",
                customer_id="c1",
                metric="calls",
                timestamp=datetime(used.start.year, used.start.month, 3, 12, tzinfo=UTC),
                value=Decimal(1),
            )
            for n in range(40 + 10 * i)
        ]
        history.append(BilledPeriod(period.start, used, events))
    return history


@pytest.mark.parametrize("is_business", [False, True])
def test_backtest_is_the_sum_of_the_12_invoices_requoted_on_the_new_version(is_business: bool) -> None:
    extra = (
        {"is_business": True, "org_number": "556016-0680", "vat_number": "SE556016068001"}
        if is_business
        else {}
    )
    who = parse_customer(customer(**extra))
    sub = parse_subscription(subscription())
    history = _history(sub.start_date)

    issued = [
        compute_invoice(
            tenant=SETTINGS,
            catalog=CATALOG,
            customer=who,
            subscription=sub,
            events=b.events,
            period_start=b.period_start,
        )
        for b in history
    ]
    on_new = parse_subscription({**subscription(), "phases": [{"plan": "bas@v2", "start": "2026-01-01"}]})
    requoted = [
        compute_invoice(
            tenant=SETTINGS,
            catalog=CATALOG,
            customer=who,
            subscription=on_new,
            events=b.events,
            period_start=b.period_start,
        )
        for b in history
    ]
    amount = (lambda inv: inv.subtotal) if is_business else (lambda inv: inv.total)

    result = backtest(SETTINGS, CATALOG, who, sub, "bas@v2", history)

    assert result.periods == 12
    assert result.current == sum(amount(i) for i in issued)
    assert result.new == sum(amount(i) for i in requoted)
    assert result.incl_vat is not is_business
    # Known numbers: 30 kr more a month and 0.5 öre more per call; 40+50+...+150 = 1140 calls.
    excl = 12 * 3000 + round(1140 * 0.5)
    if is_business:
        assert result.difference == excl
    else:  # incl. 25 % VAT, each invoice's total rounded to whole kronor
        assert abs(result.difference - excl * 1.25) <= 12 * 100
    assert result.per_year == result.difference


def test_a_history_on_two_versions_keeps_other_plans_phases() -> None:
    who = parse_customer(customer())
    sub = parse_subscription(
        {
            **subscription(),
            "phases": [{"plan": "plus", "start": "2026-01-01"}, {"plan": "bas", "start": "2026-07-01"}],
        }
    )
    history = _history(sub.start_date)
    result = backtest(SETTINGS, CATALOG, who, sub, "bas@v2", history)
    assert sub.phases[0] == PlanPhase("plus", date(2026, 1, 1))
    # Only the months on Bas cost more: the months on Plus are priced the same both ways.
    assert (
        0
        < result.difference
        < backtest(SETTINGS, CATALOG, who, parse_subscription(subscription()), "bas@v2", history).difference
    )


def test_a_short_history_is_scaled_to_a_year() -> None:
    who = parse_customer(customer())
    sub = parse_subscription(subscription())
    result = backtest(SETTINGS, CATALOG, who, sub, "bas@v2", _history(sub.start_date)[:3])
    assert result.periods == 3
    assert result.per_year == result.difference * 4


def test_best_fit_suggests_the_cheaper_plan_for_heavy_usage_only() -> None:
    who = parse_customer(customer())
    history = _history(date(2026, 1, 1))
    heavy = [
        BilledPeriod(b.period_start, b.usage_period, [replace(e, value=Decimal(100)) for e in b.events])
        for b in history
    ]
    new = CATALOG.plans["bas@v2"]
    assert best_fit(CATALOG, who, new, history, date(2027, 3, 1)) is None
    fit = best_fit(CATALOG, who, new, heavy, date(2027, 3, 1))
    assert fit is not None and fit.code == "plus"
