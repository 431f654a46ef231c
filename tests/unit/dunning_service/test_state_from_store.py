"""How the daily job reads a stored invoice into the dunning rules' state (billing.services.dunning)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.domain.catalog import Anchor, PlanPhase, Subscription
from billing.domain.dunning import CustomerHistory, InvoiceStatus, MandateOutcome
from billing.domain.invoice import Invoice, Party
from billing.domain.parties import Customer
from billing.services.dunning import (
    answered_on,
    customer_history,
    dunning_state,
    fee_agreed,
    mandate_attempts,
    was_late,
)
from billing.services.ports import CustomerAccount, StoredInvoice

ISSUED = date(2026, 11, 1)
DUE = date(2026, 12, 1)


def stored(**changes: object) -> StoredInvoice:
    party = Party(name="X", address=("Street 1",), country="SE")
    invoice = Invoice(
        invoice_id="inv_1", kind="invoice", tenant_id="t", customer_id="c", currency="SEK", language="sv",
        issue_date=ISSUED, due_date=DUE, period=None, seller=party, buyer=party, lines=(), vat=(),
        subtotal=10000, vat_total=2500, rounding=0, total=12500, amount_due=12500,
    )  # fmt: skip
    fields: dict[str, object] = {
        "invoice": invoice,
        "page_token": "p" * 20,
        "status": "open",
        "amount_due": 12500,
    }
    fields.update(changes)
    return StoredInvoice(**fields)  # type: ignore[arg-type]


def test_the_fee_counts_only_if_agreed_on_or_before_the_day_the_debt_arose():
    # Given a contract term dated before, on, and after the issue date, or none
    # Then only the first two count as agreed when the debt arose
    assert fee_agreed(date(2026, 10, 1), stored()) and fee_agreed(ISSUED, stored())
    assert not fee_agreed(date(2026, 11, 2), stored()) and not fee_agreed(None, stored())


def test_mandate_attempts_merge_the_payment_modules_record_with_requested_retries():
    # Given Stripe's record of a failed first charge and a retry this job requested
    record = {
        "active": True,
        "attempts": [{"attempt": 1, "on": "2026-12-01T05:00:00+00:00", "outcome": "failed"}],
    }
    invoice = stored(
        state={"autopay": record, "dunning": {"retries": [{"attempt": 2, "requested_on": "2026-12-04"}]}}
    )
    # When read
    attempts = mandate_attempts(invoice)
    # Then the retry is pending until the payment module records its outcome
    assert [(a.attempt, a.on, a.outcome) for a in attempts] == [
        (1, date(2026, 12, 1), MandateOutcome.FAILED),
        (2, date(2026, 12, 4), MandateOutcome.PENDING),
    ]
    record["attempts"].append({"attempt": 2, "on": "2026-12-04", "outcome": "failed"})
    assert [a.outcome for a in mandate_attempts(invoice)] == [MandateOutcome.FAILED, MandateOutcome.FAILED]


def test_a_question_counts_as_answered_only_when_every_question_is():
    one = {"question_id": "a", "answered_at": "2026-12-03T23:30:00+00:00"}
    # Given one answered late in the evening UTC (the next day in Stockholm) and one unanswered
    assert answered_on(stored(questions=(one, {"question_id": "b"}), question_open=True)) is None
    # Then the answer day is the Swedish calendar day, once all are answered
    assert answered_on(stored(questions=(one,), question_open=False)) == date(2026, 12, 4)


@pytest.mark.parametrize(
    ("changes", "late"),
    [
        ({"paid_at": datetime(2026, 11, 30, 12, tzinfo=UTC), "status": "paid"}, False),
        ({"paid_at": datetime(2026, 12, 2, 12, tzinfo=UTC), "status": "paid"}, True),
        ({}, True),  # still unpaid past its due date
        (
            {
                "status": "paid",
                "paid_at": datetime(2026, 11, 1, tzinfo=UTC),
                "state": {"dunning": {"reminders": [{}]}},
            },
            True,
        ),
    ],
)
def test_an_earlier_invoice_is_late_if_paid_after_due_unpaid_past_due_or_reminded(changes, late):
    assert was_late(stored(**changes), today=date(2027, 1, 10)) is late


def test_the_state_uses_the_moved_due_date_the_reminders_sent_and_an_open_dispute():
    # Given an invoice whose due date was moved, reminded once, with an open dispute
    invoice = stored(
        state={
            "dunning": {
                "due_date_moved_to": "2026-12-10",
                "reminders": [{"step": 1, "sent_on": "2026-12-15", "fee_minor": 0}],
            },
            "payments": {"disputes": {"dp_1": "open"}},
        }
    )
    subscription = Subscription(
        id="s", customer_id="c", anchor=Anchor.CALENDAR, phases=(PlanPhase("bas", date(2024, 1, 15)),)
    )
    account = CustomerAccount("t", Customer(id="c", name="X", address=()), subscription, "x@example.se", DUE)
    # When read
    state = dunning_state(invoice, agreed_on=None, history=customer_history(account, [], date(2026, 12, 20)))
    # Then the rules see the moved date, the reminder, the dispute and 35 whole months of tenure
    assert state.due_date == date(2026, 12, 10) and len(state.reminders_sent) == 1
    assert state.status is InvoiceStatus.DISPUTED and state.customer.tenure_months == 35


@pytest.mark.parametrize(
    ("stripe", "by_mandate", "outcomes"),
    [
        ({"autopay": "active"}, True, []),  # not charged yet: reminders wait
        ({"autopay": "active", "charge": {"attempt": 2, "status": "retry", "at": "2026-12-04"}},
         True, [MandateOutcome.FAILED, MandateOutcome.PENDING]),  # the collector retries by itself
        ({"autopay": "active", "charge": {"attempt": 1, "status": "settled", "at": "2026-12-01"}},
         True, [MandateOutcome.SUCCEEDED]),
        ({"autopay": "active", "charge": {"attempt": 1, "status": "ask_customer", "at": "2026-12-01"}},
         False, []),  # the customer must pay: an ordinary invoice, reminded as one
        ({"autopay": "stopped", "charge": {"attempt": 3, "status": "fall_back", "at": "2026-12-08"}},
         False, []),
    ],
)  # fmt: skip
def test_the_stripe_collectors_record_decides_whether_the_mandate_is_still_in_play(
    stripe, by_mandate, outcomes
):
    # Given the Stripe collector's record on the invoice
    invoice = stored(state={"stripe": stripe})
    # When read
    state = dunning_state(invoice, agreed_on=None, history=customer_history_for_tests())
    # Then reminders wait while Stripe still collects, and start once it has stopped
    assert state.pays_by_mandate is by_mandate
    assert [a.outcome for a in state.mandate_attempts] == outcomes


def customer_history_for_tests() -> CustomerHistory:
    return CustomerHistory(tenure_months=12, previous_late_invoices=0)


@pytest.mark.parametrize(
    ("autogiro", "by_mandate"),
    [
        ({"mandate": {"status": "pending"}}, True),  # given on the page, not yet in a file
        ({"mandate": {"status": "sent"}}, True),  # with Bankgirot, waiting for the answer
        ({"mandate": {"status": "rejected"}}, False),  # refused: the customer pays by hand
        ({"mandate": {"status": "sent"}, "failed": {"sv": "x", "en": "x"}}, False),
    ],
)
def test_no_payment_reminder_while_an_autogiro_mandate_waits_for_approval(autogiro, by_mandate):
    # Given an overdue invoice whose customer gave an Autogiro mandate on the page
    from billing.adapters.dunning_page import load_reference_rates
    from billing.domain.dunning import DoNothing, decide_next_action
    from tests.unit.dunning.dunning_builders import a_policy

    state = dunning_state(stored(state={"autogiro": autogiro}), agreed_on=None, history=CustomerHistory(0, 0))
    # Then, while the mandate waits, the invoice counts as paid by mandate: no reminder, no relief
    assert state.pays_by_mandate is by_mandate
    decision = decide_next_action(state, a_policy(), load_reference_rates(), date(2026, 12, 20))
    assert isinstance(decision, DoNothing) is by_mandate
