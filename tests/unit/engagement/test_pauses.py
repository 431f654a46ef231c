"""The pause's rules (billing.domain.pauses) and what the pricing engine makes of a paused period: the
merchant's policy as the tenant file states it, the choices at month ends, the refusals, no recurring
fee while paused (usage still billed), the fee back by itself when it ends, and the stored shape."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.catalog import Anchor, Pause, PlanPhase, Subscription
from billing.domain.pauses import (
    PauseError,
    PausePolicy,
    check_pause,
    offered_pauses,
    pause_choices,
    pause_policy,
    with_pause,
)
from billing.domain.periods import Interval
from billing.domain.pricing import compute_invoice, quote_plan_change
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.domain.usage import UsageEvent
from billing.services.subscriptions.documents import to_document
from billing.services.tenants.document import TenantFileError, check_tenant_document
from infra import demo_data

POLICY = PausePolicy(max_months=3, per_year=1)
TODAY0 = date(2026, 1, 9)
TENANT = parse_tenant_settings(demo_data.tenant_settings("t1"))
CUSTOMER = parse_customer(
    {"id": "c1", "name": "Kaffebryggarna HB", "address": ["Lilla torget 3"], "language": "en"}
)


def _catalog(interval: str = "monthly", commitment: int | None = None) -> Any:
    plan: dict[str, Any] = {
        "code": "p",
        "name": "P",
        "interval": interval,
        "currency": "SEK",
        "charges": [
            {"code": "fee", "name": "Fee", "model": "flat", "amount": 10000},
            {"code": "calls", "name": "Calls", "model": "per_unit", "metric": "m", "aggregation": "count",
             "unit_price": "100"},
        ],
    }  # fmt: skip
    if commitment is not None:
        plan["minimum_commitment"] = commitment
    return parse_catalog({"plans": [plan]})


def _subscription(
    start: date = date(2026, 1, 1), anchor: Anchor = Anchor.CALENDAR, **more: Any
) -> Subscription:
    return Subscription(id="s1", customer_id="c1", anchor=anchor, phases=(PlanPhase("p", start),), **more)


def _call(day: date) -> UsageEvent:
    return UsageEvent(
        f"e-{day}", "c1", "m", datetime(day.year, day.month, day.day, 12, tzinfo=UTC), Decimal(1)
    )


def _invoice(
    sub: Subscription, period_start: date, events: list[UsageEvent] = (), catalog: Any = None
) -> Any:  # type: ignore[assignment]
    return compute_invoice(
        tenant=TENANT,
        catalog=catalog or _catalog(),
        customer=CUSTOMER,
        subscription=sub,
        events=events,
        period_start=period_start,
    )


# --- the merchant's policy, as the tenant file states it


def test_the_policy_is_read_from_the_page_settings_and_bad_values_name_the_field() -> None:
    assert pause_policy({}) is None
    assert pause_policy({"pauses": {"max_months": 3}}) == PausePolicy(3, 1)
    assert pause_policy({"pauses": {"max_months": 2, "per_year": 2}}) == PausePolicy(2, 2)
    for section, field in (
        ("3", "pauses"),
        ({}, "pauses.max_months"),
        ({"max_months": 0}, "pauses.max_months"),
        ({"max_months": 13}, "pauses.max_months"),
        ({"max_months": "3"}, "pauses.max_months"),
        ({"max_months": True}, "pauses.max_months"),
        ({"max_months": 3, "per_year": 0}, "pauses.per_year"),
        ({"max_months": 3, "every": 1}, "pauses.every"),
    ):
        with pytest.raises(PauseError) as refused:
            pause_policy({"pauses": section})
        assert refused.value.field == field, section


def test_the_tenant_file_refuses_a_bad_pause_policy_naming_the_field() -> None:
    document = {
        "tenant_id": "norrsken",
        "settings": demo_data.tenant_settings("norrsken"),
        "catalog": demo_data.CATALOG,
        "page": {**demo_data.PAGE_SETTINGS, "pauses": {"max_months": 3, "per_year": 1}},
    }
    assert check_tenant_document(document).page["pauses"] == {"max_months": 3, "per_year": 1}
    document["page"] = {**demo_data.PAGE_SETTINGS, "pauses": {"max_months": 24}}
    with pytest.raises(TenantFileError) as refused:
        check_tenant_document(document)
    assert refused.value.field == "page.pauses.max_months"


# --- period math


def test_a_pause_starts_when_the_current_period_ends_and_lasts_whole_periods_at_month_ends() -> None:
    # Given an anniversary subscription on the 31st: periods Jan 31, Feb 28, Mar 31, Apr 30, May 31
    sub = _subscription(date(2026, 1, 31), Anchor.ANNIVERSARY)
    # When it asks on February 10 which pauses there are
    choices = pause_choices(sub, Interval.MONTHLY, date(2026, 2, 10), POLICY)
    # Then each starts on February 28 and ends on a period start: the anchor day, clamped, never drifted
    assert [(c.months, c.pause.start, c.pause.end) for c in choices] == [
        (1, date(2026, 2, 28), date(2026, 3, 31)),
        (2, date(2026, 2, 28), date(2026, 4, 30)),
        (3, date(2026, 2, 28), date(2026, 5, 31)),
    ]
    # And a calendar subscription asked on the last day of a month starts the pause the next day
    cal = pause_choices(_subscription(), Interval.MONTHLY, date(2026, 12, 31), POLICY)
    assert [(c.pause.start, c.pause.end) for c in cal] == [
        (date(2027, 1, 1), date(2027, 2, 1)),
        (date(2027, 1, 1), date(2027, 3, 1)),
        (date(2027, 1, 1), date(2027, 4, 1)),
    ]


def test_a_quarterly_plan_pauses_by_quarters_within_the_longest_pause() -> None:
    sub = _subscription()
    assert [c.months for c in pause_choices(sub, Interval.QUARTERLY, date(2026, 5, 2), POLICY)] == [3]
    assert pause_choices(sub, Interval.QUARTERLY, date(2026, 5, 2), PausePolicy(2)) == []
    assert pause_choices(sub, Interval.YEARLY, date(2026, 5, 2), POLICY) == []


# --- refusals


def test_what_cannot_be_paused_is_refused_saying_why() -> None:
    today = date(2026, 11, 23)
    sub = _subscription()
    assert check_pause(sub, Interval.MONTHLY, today, POLICY, 2) == Pause(
        date(2026, 12, 1), date(2027, 2, 1), today
    )
    cases = [
        (sub, None, 1, "cannot be paused"),
        (sub, POLICY, 4, "months allowed: 1, 2, 3"),
        (replace(sub, end_date=date(2026, 12, 1)), POLICY, 1, "ends on 2026-12-01"),
        (_subscription(date(2027, 1, 1)), POLICY, 1, "has not started"),
        (with_pause(sub, Pause(date(2026, 12, 1), date(2027, 1, 1), today)), POLICY, 1, "paused already"),
        # one pause a year: one that began ten months before the new one counts
        (with_pause(sub, Pause(date(2026, 2, 1), date(2026, 3, 1), TODAY0)), POLICY, 1, "within 12"),
    ]  # fmt: skip
    for subscription, policy, months, reason in cases:
        with pytest.raises(PauseError) as refused:
            check_pause(subscription, Interval.MONTHLY, today, policy, months)
        assert refused.value.field == "months" and reason in refused.value.reason, reason
        assert offered_pauses(subscription, Interval.MONTHLY, today, policy) == [] or months == 4
    # And a pause that began more than 12 months before the new one does not count
    old = with_pause(sub, Pause(date(2025, 12, 1), date(2026, 1, 1), date(2025, 11, 2)))
    assert check_pause(old, Interval.MONTHLY, today, POLICY, 1).start == date(2026, 12, 1)
    assert len(offered_pauses(old, Interval.MONTHLY, today, PausePolicy(3, 2))) == 3


# --- what the billing run makes of it


def test_no_fee_while_paused_usage_still_billed_and_the_fee_back_by_itself() -> None:
    # Given a 100 kr a month subscription paused for December and January (asked on November 23)
    sub = with_pause(_subscription(), Pause(date(2026, 12, 1), date(2027, 2, 1), date(2026, 11, 23)))
    calls = [_call(date(2026, 11, 20)), _call(date(2026, 12, 24)), _call(date(2026, 12, 25))]
    # When the run bills December 1 (the pause's first day: a pause over the run date)
    december = _invoice(sub, date(2026, 12, 1), calls)
    # Then no fee, but November's usage is billed as always
    assert [(x.kind, x.amount) for x in december.lines] == [("usage", 100)]
    # And January: no fee; December's usage during the pause still billed
    january = _invoice(sub, date(2027, 1, 1), calls)
    assert [(x.kind, x.amount) for x in january.lines] == [("usage", 200)]
    # And February: it resumed by itself, the full fee in advance, nothing of the paused period left
    february = _invoice(sub, date(2027, 2, 1), calls)
    fees = [x for x in february.lines if x.kind == "fee"]
    assert [(x.amount, x.proration, x.period.start) for x in fees] == [(10000, None, date(2027, 2, 1))]
    assert not [x for x in february.lines if x.kind in ("credit", "commitment")]
    # And without the pause the same run would have billed the fee: the pause is what holds it
    assert (
        sum(x.amount for x in _invoice(_subscription(), date(2026, 12, 1), calls).lines if x.kind == "fee")
        == 10000
    )


def test_a_paused_period_owes_no_commitment_and_credits_nothing_when_cancelled_inside_it() -> None:
    # Given a plan with a 150 kr minimum commitment, paused for December
    catalog = _catalog(commitment=15000)
    paused = with_pause(_subscription(), Pause(date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 2)))
    # Then January's invoice tops up no paused December, while an unpaused month is topped up
    january = _invoice(paused, date(2027, 1, 1), [], catalog)
    assert "commitment" not in [x.kind for x in january.lines]
    assert "commitment" in [x.kind for x in _invoice(_subscription(), date(2027, 1, 1), [], catalog).lines]
    # And cancelled "now" on December 10, inside the pause: no unused-days credit for a fee never billed
    ended = replace(paused, end_date=date(2026, 12, 10), cancelled_on=date(2026, 12, 10))
    assert [x.kind for x in _invoice(ended, date(2027, 1, 1), [], catalog).lines if x.kind == "credit"] == []
    unpaused = replace(_subscription(), end_date=date(2026, 12, 10), cancelled_on=date(2026, 12, 10))
    assert "credit" in [x.kind for x in _invoice(unpaused, date(2027, 1, 1)).lines]


def test_a_plan_change_asked_while_paused_waits_for_the_resume_with_nothing_prorated() -> None:
    # Given a catalog with a dearer plan and a subscription paused for December and January
    def plan(code: str, fee: int) -> dict[str, Any]:
        charge = {"code": "fee", "name": "Fee", "model": "flat", "amount": fee}
        return {"code": code, "name": code, "interval": "monthly", "currency": "SEK", "charges": [charge]}

    catalog = parse_catalog({"plans": [plan("p", 10000), plan("q", 30000)]})
    paused = with_pause(_subscription(), Pause(date(2026, 12, 1), date(2027, 2, 1), date(2026, 11, 2)))

    def quote(sub: Subscription, on: date) -> Any:
        return quote_plan_change(
            tenant=TENANT,
            catalog=catalog,
            customer=CUSTOMER,
            subscription=sub,
            new_plan_code="q",
            requested_on=on,
        )

    # When an upgrade is asked on December 10, inside the pause
    held = quote(paused, date(2026, 12, 10))
    # Then it takes effect on February 1, when it resumes, and nothing is invoiced now
    assert (held.effective_date, held.immediate, held.due_now, held.invoice) == (
        date(2027, 2, 1),
        False,
        0,
        None,
    )
    # While the same upgrade on November 10, before the pause begins, is invoiced now as always
    before = quote(paused, date(2026, 11, 10))
    assert before.immediate and before.effective_date == date(2026, 11, 10) and before.due_now > 0


# --- the stored shape


def test_pauses_are_stored_beside_the_subscription_and_read_back_checked() -> None:
    sub = with_pause(_subscription(), Pause(date(2026, 12, 1), date(2027, 2, 1), date(2026, 11, 23)))
    document = to_document(sub)
    assert document["pauses"] == [{"start": "2026-12-01", "end": "2027-02-01", "decided_on": "2026-11-23"}]
    assert parse_subscription(document) == sub
    assert parse_subscription(to_document(_subscription())) == _subscription()
    for pauses, field in (
        ("x", "subscription.pauses"),
        ([{"start": "2026-12-01"}], "subscription.pauses[0]"),
        ([{"start": "2026-12-01", "end": "2026-13-01", "decided_on": "2026-11-23"}], "pauses[0].end"),
        ([{"start": "2026-12-01", "end": "2026-12-01", "decided_on": "2026-11-23"}], "pauses[0].end"),
        (
            [
                {"start": "2026-12-01", "end": "2027-02-01", "decided_on": "2026-11-23"},
                {"start": "2027-01-01", "end": "2027-03-01", "decided_on": "2026-11-23"},
            ],
            "subscription.pauses[1].start",
        ),
    ):  # fmt: skip
        with pytest.raises(ScenarioError) as refused:
            parse_subscription({**document, "pauses": pauses})
        assert refused.value.field.removeprefix("subscription.") == field.removeprefix("subscription.")
