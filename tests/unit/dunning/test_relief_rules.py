"""Relief the customer chooses: move the due date once within the limit; split into instalments."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from dunning_builders import DUE, a_policy, an_invoice
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.dunning import (
    InvoiceStatus,
    ReliefRefusal,
    ReliefRefused,
    can_move_due_date,
    can_split,
    instalment_state,
    move_due_date,
    split_into_instalments,
    split_invoice,
)


def _refusal(call: object) -> ReliefRefusal:
    assert callable(call)
    with pytest.raises(ReliefRefused) as error:
        call()
    return error.value.refusal


# --- Move the due date -----------------------------------------------------------------------------


def test_the_due_date_can_be_moved_once_up_to_the_tenants_limit() -> None:
    # Given a tenant allowing 14 days and an invoice due 14 March
    policy = a_policy(max_due_date_move_days=14)
    # When the customer moves it to the last allowed day
    moved = move_due_date(an_invoice(), DUE + timedelta(days=14), policy, today=DUE - timedelta(days=2))
    # Then the new due date is in force, the original kept
    assert moved.due_date == date(2025, 3, 28)
    assert moved.original_due_date == DUE
    # When the customer tries again, even within the limit / Then refused: once only
    assert (
        _refusal(lambda: move_due_date(moved, DUE + timedelta(days=13), policy, DUE))
        is ReliefRefusal.ALREADY_MOVED
    )
    assert not can_move_due_date(moved, policy, DUE)


@pytest.mark.parametrize(
    ("requested_days", "today_days", "refusal"),
    [
        (15, 0, ReliefRefusal.TOO_FAR),  # one day past the limit
        (0, -3, ReliefRefusal.NOT_LATER),  # not a move
        (-2, -3, ReliefRefusal.NOT_LATER),
        (5, 8, ReliefRefusal.IN_THE_PAST),
    ],
)
def test_a_move_outside_the_rules_is_refused_with_its_reason(
    requested_days: int, today_days: int, refusal: ReliefRefusal
) -> None:
    policy = a_policy(max_due_date_move_days=14)
    requested, today = DUE + timedelta(days=requested_days), DUE + timedelta(days=today_days)
    assert _refusal(lambda: move_due_date(an_invoice(), requested, policy, today)) is refusal


def test_an_overdue_invoice_can_still_be_moved_within_the_limit() -> None:
    # Given an invoice 6 days late / When moved to day 10 / Then granted: that is when relief matters
    moved = move_due_date(an_invoice(), DUE + timedelta(days=10), a_policy(), DUE + timedelta(days=6))
    assert moved.due_date == DUE + timedelta(days=10)


@pytest.mark.parametrize(
    ("invoice_overrides", "policy_overrides", "refusal"),
    [
        ({}, {"max_due_date_move_days": 0}, ReliefRefusal.NOT_OFFERED),
        ({"status": InvoiceStatus.PAID}, {}, ReliefRefusal.INVOICE_NOT_OPEN),
        ({"status": InvoiceStatus.SPLIT}, {}, ReliefRefusal.INVOICE_NOT_OPEN),
        ({"amount_due_minor": 0}, {}, ReliefRefusal.NOTHING_OWED),
    ],
)
def test_a_move_the_tenant_or_the_invoice_does_not_allow_is_refused(
    invoice_overrides: dict[str, object], policy_overrides: dict[str, object], refusal: ReliefRefusal
) -> None:
    invoice, policy = an_invoice(**invoice_overrides), a_policy(**policy_overrides)
    assert _refusal(lambda: move_due_date(invoice, DUE + timedelta(days=3), policy, DUE)) is refusal
    assert not can_move_due_date(invoice, policy, DUE)


def test_once_the_limit_has_passed_no_move_is_offered() -> None:
    assert can_move_due_date(an_invoice(), a_policy(max_due_date_move_days=14), DUE + timedelta(days=14))
    assert not can_move_due_date(an_invoice(), a_policy(max_due_date_move_days=14), DUE + timedelta(days=15))


# --- Instalments -----------------------------------------------------------------------------------


def test_a_split_has_monthly_due_dates_ids_and_the_remainder_on_the_first_instalment() -> None:
    # Given 1 000,01 kr split in 3 from 31 January 2025 (a long month)
    plan = split_into_instalments("inv-7", 100_001, "SEK", 3, date(2025, 1, 31), a_policy(max_instalments=3))
    # Then the first takes the remainder, the due dates keep the 31st where the month has one
    assert [(i.instalment_id, i.number, i.amount_minor, i.due_date) for i in plan] == [
        ("inv-7:inst:1", 1, 33_335, date(2025, 1, 31)),
        ("inv-7:inst:2", 2, 33_333, date(2025, 2, 28)),
        ("inv-7:inst:3", 3, 33_333, date(2025, 3, 31)),
    ]


def test_instalments_across_a_year_end_and_a_leap_february() -> None:
    plan = split_into_instalments("inv-8", 400, "SEK", 4, date(2023, 11, 30), a_policy(max_instalments=4))
    assert [i.due_date for i in plan] == [
        date(2023, 11, 30),
        date(2023, 12, 30),
        date(2024, 1, 30),
        date(2024, 2, 29),
    ]


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=2, max_value=10**10),
    n=st.integers(min_value=2, max_value=24),
    first_due=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
)
def test_instalments_always_sum_exactly_to_the_total(amount: int, n: int, first_due: date) -> None:
    # Given any amount and any allowed number of instalments
    if amount < n:
        amount = n
    # When split
    plan = split_into_instalments("inv-9", amount, "SEK", n, first_due, a_policy(max_instalments=24))
    # Then not one öre is lost or invented, all but the first are equal, and dates rise month by month
    assert sum(i.amount_minor for i in plan) == amount
    assert len(plan) == n
    assert len({i.amount_minor for i in plan[1:]}) == 1
    assert 0 <= plan[0].amount_minor - plan[1].amount_minor < n
    assert all(a.due_date < b.due_date for a, b in itertools.pairwise(plan))
    assert all((b.due_date - a.due_date).days in range(28, 32) for a, b in itertools.pairwise(plan))
    assert [i.instalment_id for i in plan] == [f"inv-9:inst:{k}" for k in range(1, n + 1)]


@pytest.mark.parametrize(
    ("amount", "n", "max_instalments", "refusal"),
    [
        (10_000, 4, 3, ReliefRefusal.TOO_MANY_INSTALMENTS),
        (10_000, 1, 3, ReliefRefusal.TOO_FEW_INSTALMENTS),
        (10_000, 2, 0, ReliefRefusal.NOT_OFFERED),
        (10_000, 2, 1, ReliefRefusal.NOT_OFFERED),
        (2, 3, 3, ReliefRefusal.AMOUNT_TOO_SMALL),
    ],
)
def test_a_split_beyond_the_tenants_limit_is_refused(
    amount: int, n: int, max_instalments: int, refusal: ReliefRefusal
) -> None:
    policy = a_policy(max_instalments=max_instalments)
    assert _refusal(lambda: split_into_instalments("inv", amount, "SEK", n, DUE, policy)) is refusal


def test_splitting_an_invoice_replaces_it_by_instalments_dunned_on_their_own() -> None:
    # Given an open invoice of 1 250 kr with the fee agreement
    invoice = an_invoice(amount_due_minor=125_000)
    # When the customer splits it in 2, first due in a week
    plan = split_invoice(invoice, 2, DUE + timedelta(days=7), a_policy(max_instalments=3), today=DUE)
    # Then the invoice is marked split and each instalment is an open invoice of its own
    assert plan.invoice.status is InvoiceStatus.SPLIT
    states = [instalment_state(i, invoice) for i in plan.instalments]
    assert [(s.invoice_id, s.amount_due_minor, s.due_date) for s in states] == [
        ("inv-2025-0042:inst:1", 62_500, DUE + timedelta(days=7)),
        ("inv-2025-0042:inst:2", 62_500, date(2025, 4, 21)),
    ]
    assert all(s.fee_agreed and s.status is InvoiceStatus.OPEN for s in states)


@pytest.mark.parametrize(
    ("first_due_days", "refusal"),
    [(-1, ReliefRefusal.IN_THE_PAST), (32, ReliefRefusal.TOO_FAR)],
)
def test_the_first_instalment_falls_within_a_month(first_due_days: int, refusal: ReliefRefusal) -> None:
    policy = a_policy(max_instalments=3)
    first_due = DUE + timedelta(days=first_due_days)
    assert _refusal(lambda: split_invoice(an_invoice(), 2, first_due, policy, today=DUE)) is refusal


def test_a_split_invoice_cannot_be_split_again() -> None:
    invoice = an_invoice(status=InvoiceStatus.SPLIT)
    policy = a_policy(max_instalments=3)
    assert (
        _refusal(lambda: split_invoice(invoice, 2, DUE, policy, today=DUE)) is ReliefRefusal.INVOICE_NOT_OPEN
    )
    assert not can_split(invoice, policy)
    assert can_split(an_invoice(), policy)


# --- Automatic payment holds the invoice ----------------------------------------------------------


def _by_mandate(*outcomes: str) -> object:
    from billing.domain.dunning import MandateAttempt, MandateOutcome

    attempts = tuple(
        MandateAttempt(i + 1, DUE + timedelta(days=3 * i), MandateOutcome(o)) for i, o in enumerate(outcomes)
    )
    return an_invoice(pays_by_mandate=True, mandate_attempts=attempts)


@pytest.mark.parametrize(
    ("outcomes", "retries", "offered"),
    [
        ((), (), False),  # the debit is announced, not made yet: it may be on its way to the bank
        (("pending",), (), False),
        (("failed",), (3, 7), False),  # a retry is still to come
        (("failed", "failed"), (3, 7), False),
        (("failed", "failed", "failed"), (3, 7), True),  # automatic payment gave up: relief opens
        (("failed",), (), True),
    ],
)
def test_no_relief_while_automatic_payment_may_still_take_the_invoice(outcomes, retries, offered) -> None:
    # Given an invoice collected by mandate, with the tenant's retry schedule
    state = _by_mandate(*outcomes)
    policy = a_policy(mandate_retry_days=retries)
    today = DUE - timedelta(days=2)
    # Then relief is offered only once the mandate has given up, and a request before is refused
    assert can_split(state, policy) is offered
    assert can_move_due_date(state, policy, today) is offered
    if not offered:
        assert (
            _refusal(lambda: split_invoice(state, 2, today, policy, today)) is ReliefRefusal.PAID_BY_MANDATE
        )
        assert (
            _refusal(lambda: move_due_date(state, DUE + timedelta(days=5), policy, today))
            is ReliefRefusal.PAID_BY_MANDATE
        )


def test_asking_for_time_before_the_due_date_never_makes_a_part_due_sooner() -> None:
    # Given an invoice due on DUE, split four weeks before it falls due
    policy = a_policy(max_instalments=3)
    today = DUE - timedelta(days=27)
    # Then a first part before the due date is refused, naming the field
    assert _refusal(lambda: split_invoice(an_invoice(), 2, today, policy, today=today)) is (
        ReliefRefusal.BEFORE_DUE_DATE
    )
    assert _refusal(lambda: split_invoice(an_invoice(), 2, DUE - timedelta(days=1), policy, today=today)) is (
        ReliefRefusal.BEFORE_DUE_DATE
    )
    # And the first part may fall on the due date itself or up to a month after it
    plan = split_invoice(an_invoice(), 2, DUE, policy, today=today)
    assert min(i.due_date for i in plan.instalments) == DUE
    later = split_invoice(an_invoice(), 2, DUE + timedelta(days=31), policy, today=today)
    assert min(i.due_date for i in later.instalments) == DUE + timedelta(days=31)


# --- What the page offers ----------------------------------------------------------------------------


def test_the_page_offers_what_the_rules_allow_today_and_nothing_else() -> None:
    from billing.domain.dunning.relief import latest_moved_due_date, relief_choice

    # Given a tenant allowing a 14-day move and up to 3 instalments, and an open invoice not yet due
    policy = a_policy(max_due_date_move_days=14, max_instalments=3)
    invoice = an_invoice()
    # When the page asks what the customer may choose two days before the due date
    choice = relief_choice(invoice, policy, DUE - timedelta(days=2))
    # Then both are offered, within the policy's limits, on the invoice's own due date and amount
    assert choice.can_move and choice.latest_due_date == latest_moved_due_date(invoice, policy)
    assert choice.can_split and choice.max_instalments == 3
    assert (choice.due_date, choice.amount_due) == (invoice.due_date, invoice.amount_due_minor)
    # And an invoice whose due date was moved already offers no second move
    moved = move_due_date(invoice, DUE + timedelta(days=14), policy, today=DUE - timedelta(days=2))
    again = relief_choice(moved, policy, DUE)
    assert not again.can_move and again.latest_due_date is None
