"""One payment's events in every order end in the same invoice state; events that cannot be about the
invoice (another currency, more than the payment brought, the wrong object) are refused by name.

The fold below is what `ProcessStripeEvent` does with an event that names a payment the invoice has
not settled yet (`awaited_payment`): it keeps the event and applies it once that payment arrives."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from billing.adapters.stripe_event_reader import to_domain_event
from billing.domain.payments import (
    DisputeClosed,
    DisputeOpened,
    DomainPaymentEvent,
    InvoicePayments,
    InvoicePaymentStatus,
    PaymentDataError,
    PaymentFailed,
    PaymentSucceeded,
    RefundIssued,
    apply_event,
    awaited_payment,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TOTAL = 10000


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _succeeded(event_type: str, t: int, charge: str | None) -> PaymentSucceeded:
    return PaymentSucceeded(
        event_id=f"evt_{event_type}",
        event_type=event_type,
        occurred_at=at(t),
        invoice_id="inv_1",
        payment_ref="pi_1",
        charge_ref=charge,
        amount=TOTAL,
        currency="sek",
    )


def _events(dispute_outcome: str) -> list[DomainPaymentEvent]:
    failed = PaymentFailed(
        event_id="evt_failed",
        event_type="payment_intent.payment_failed",
        occurred_at=at(1),
        invoice_id="inv_1",
        payment_ref="pi_1",
        amount=TOTAL,
        currency="sek",
        failure_code="card_declined",
    )
    # The refund names only the charge: the payment is found through the PaymentIntent's latest_charge.
    refund = RefundIssued(
        event_id="evt_refund",
        event_type="charge.refunded",
        occurred_at=at(30),
        invoice_id=None,
        payment_ref=None,
        charge_ref="ch_1",
        amount_refunded_total=2500,
        currency="sek",
    )
    dispute = {
        "dispute_ref": "dp_1",
        "charge_ref": "ch_1",
        "payment_ref": "pi_1",
        "amount": TOTAL,
        "currency": "sek",
        "reason": "fraudulent",
    }
    opened = DisputeOpened(
        event_id="evt_dispute_created",
        event_type="charge.dispute.created",
        occurred_at=at(40),
        status="needs_response",
        **dispute,
    )
    closed = DisputeClosed(**{**opened.__dict__, "event_id": "evt_dispute_closed", "occurred_at": at(50)})
    closed = replace(closed, event_type="charge.dispute.closed", status=dispute_outcome)
    return [
        _succeeded("payment_intent.succeeded", 10, "ch_1"),
        failed,
        refund,
        opened,
        closed,
        _succeeded("checkout.session.completed", 11, None),
    ]


def _deliver(order: list[DomainPaymentEvent]) -> tuple[InvoicePayments, dict[str, int]]:
    """Apply events in arrival order, keeping those that wait for their payment and retrying them
    after every change (as ProcessStripeEvent does with its held events)."""
    payments = InvoicePayments(invoice_total=TOTAL, currency="sek")
    held: list[DomainPaymentEvent] = []
    effects = {"settled": 0, "excess": 0, "credited": 0, "reversed": 0}

    def apply(event: DomainPaymentEvent) -> bool:
        nonlocal payments
        if awaited_payment(payments, event) is not None:
            if event not in held:
                held.append(event)
            return False
        outcome = apply_event(payments, event)
        payments = outcome.payments
        effects["settled"] += outcome.settled_amount
        effects["excess"] += outcome.excess_for_balance
        effects["credited"] += outcome.credit_note_amount
        effects["reversed"] += outcome.reversed_amount
        if event in held:
            held.remove(event)
        return outcome.changed

    for event in order:
        if apply(event):
            for waiting in list(held):
                apply(waiting)
    assert held == [], "an event was kept and never applied"
    return payments, effects


@pytest.mark.parametrize("dispute_outcome", ["won", "lost"])
def test_every_order_of_a_payments_events_ends_in_the_same_state(dispute_outcome: str) -> None:
    # Given the events of one payment: succeeded, failed, refunded, disputed, dispute closed, and the
    # Checkout Session's completion reporting the same payment
    events = _events(dispute_outcome)
    # When they arrive in every one of the 720 possible orders
    results = {
        repr(sorted(_deliver(list(order))[0].to_record().items())): _deliver(list(order))
        for order in itertools.permutations(events)
    }
    # Then every order ends in one and the same state, with every effect carried out once
    assert len(results) == 1
    ((payments, effects),) = results.values()
    assert effects["settled"] == TOTAL and effects["excess"] == 0 and effects["credited"] == 2500
    assert payments.refunded_total == 2500 and not payments.disputed
    if dispute_outcome == "lost":
        assert effects["reversed"] == TOTAL and payments.amount_due == TOTAL
    else:
        assert effects["reversed"] == 0 and payments.status is InvoicePaymentStatus.PAID


def test_a_dispute_before_its_payment_waits_for_it() -> None:
    # Given an invoice that has not heard of pi_1
    fresh = InvoicePayments(invoice_total=TOTAL, currency="sek")
    closed = _events("lost")[4]
    # When the lost dispute arrives first, Then it waits for pi_1 and changes nothing
    assert awaited_payment(fresh, closed) == "pi_1"
    assert apply_event(fresh, closed).changed is False
    # When the payment has arrived, Then the dispute applies and the invoice is owed again
    paid = apply_event(fresh, _events("lost")[0]).payments
    assert awaited_payment(paid, closed) is None
    assert apply_event(paid, closed).payments.amount_due == TOTAL


@pytest.mark.parametrize("index", [2, 3, 4], ids=["refund", "dispute_created", "dispute_closed"])
def test_a_refund_or_dispute_in_another_currency_is_refused(index: int) -> None:
    # Given a paid SEK invoice
    paid = apply_event(InvoicePayments(TOTAL, "sek"), _events("lost")[0]).payments
    # When a EUR refund or dispute arrives for its payment, Then it is refused by name, nothing credited
    event = replace(_events("lost")[index], currency="eur")  # type: ignore[type-var]
    with pytest.raises(PaymentDataError) as err:
        apply_event(paid, event)
    assert err.value.field == "currency"


def test_a_refund_in_another_currency_on_an_unpaid_invoice_is_refused_not_credited() -> None:
    refund = replace(_events("won")[2], currency="eur", charge_ref="ch_9")
    with pytest.raises(PaymentDataError):
        apply_event(InvoicePayments(TOTAL, "sek"), refund)


def test_a_refund_or_dispute_for_more_than_the_payment_brought_is_refused() -> None:
    paid = apply_event(InvoicePayments(TOTAL, "sek"), _events("won")[0]).payments
    with pytest.raises(PaymentDataError) as err:
        apply_event(paid, replace(_events("won")[2], amount_refunded_total=TOTAL + 1))  # type: ignore[type-var]
    assert err.value.field == "amount_refunded"
    with pytest.raises(PaymentDataError) as err:
        apply_event(paid, replace(_events("won")[3], amount=TOTAL + 1))  # type: ignore[type-var]
    assert err.value.field == "amount"


def _raw(event_type: str, obj: dict, created: int = 1_790_000_000) -> dict:
    return {"id": "evt_1", "object": "event", "type": event_type, "created": created, "data": {"object": obj}}


def test_an_event_whose_object_is_not_what_its_type_says_is_refused() -> None:
    charge = {"id": "ch_1", "object": "charge", "amount": 100, "currency": "sek", "status": "succeeded"}
    with pytest.raises(PaymentDataError) as err:
        to_domain_event(_raw("payment_intent.succeeded", charge))
    assert err.value.field == "data.object.object"


@pytest.mark.parametrize("created", [10**30, -1, 2**63])
def test_an_absurd_event_time_is_refused_not_overflowed(created: int) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "amount": 100, "currency": "sek"}
    with pytest.raises(PaymentDataError) as err:
        to_domain_event(_raw("payment_intent.succeeded", intent, created))
    assert err.value.field == "created"


@pytest.mark.parametrize(("field", "value"), [("amount", 10**30), ("currency", "💶"), ("currency", "sekk")])
def test_absurd_amounts_and_currencies_are_refused(field: str, value: object) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "amount": 100, "currency": "sek", field: value}
    with pytest.raises(PaymentDataError) as err:
        to_domain_event(_raw("payment_intent.succeeded", intent))
    assert err.value.field == field
