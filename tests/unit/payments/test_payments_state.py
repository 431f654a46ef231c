"""The forward-only payment state, amount application and the invoice's payments aggregate."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payments_builders import T0

from billing.domain.payments import (
    DisputeClosed,
    DisputeOpened,
    DisputeStatus,
    InvoicePayments,
    InvoicePaymentStatus,
    MandateStatus,
    PaymentDataError,
    PaymentFailed,
    PaymentProcessing,
    PaymentReversed,
    PaymentState,
    PaymentStatus,
    PaymentSucceeded,
    RefundIssued,
    advance,
    advance_dispute,
    advance_mandate,
    apply_event,
    apply_payment,
    choose_payment_methods,
    refund_delta,
)

S = PaymentStatus


def at(seconds: int):
    return T0 + timedelta(seconds=seconds)


# --------------------------------------------------------------------------------------------------
# advance(): one payment's status
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "observed", "expected"),
    [
        (S.NONE, S.PROCESSING, S.PROCESSING),
        (S.NONE, S.SUCCEEDED, S.SUCCEEDED),
        (S.NONE, S.FAILED, S.FAILED),
        (S.PROCESSING, S.SUCCEEDED, S.SUCCEEDED),
        (S.FAILED, S.SUCCEEDED, S.SUCCEEDED),
        (S.SUCCEEDED, S.PROCESSING, S.SUCCEEDED),
        (S.SUCCEEDED, S.FAILED, S.SUCCEEDED),
        (S.SUCCEEDED, S.NONE, S.SUCCEEDED),
        (S.PROCESSING, S.NONE, S.PROCESSING),
    ],
)
def test_status_moves_forward_only(
    start: PaymentStatus, observed: PaymentStatus, expected: PaymentStatus
) -> None:
    # Given a payment in `start`, seen at t=10
    state = PaymentState(start, at(10) if start is not S.NONE else None)
    # When a newer observation arrives
    after = advance(state, observed, at(20))
    # Then only a forward move is taken
    assert after.status is expected


def test_a_late_processing_never_undoes_succeeded_even_if_newer() -> None:
    # Given a succeeded payment
    state = advance(PaymentState(), S.SUCCEEDED, at(10))
    # When a "processing" arrives that even claims a later time
    after = advance(state, S.PROCESSING, at(99))
    # Then the payment stays succeeded, with its original time
    assert after == PaymentState(S.SUCCEEDED, at(10))


def test_between_processing_and_failed_the_newer_observation_wins() -> None:
    # Given a payment that failed at t=20
    failed = advance(PaymentState(), S.FAILED, at(20))
    # When the processing that preceded it arrives late (t=10), and then a retry's processing (t=30)
    late = advance(failed, S.PROCESSING, at(10))
    retry = advance(late, S.PROCESSING, at(30))
    # Then the late one is ignored and the retry is taken
    assert late.status is S.FAILED
    assert retry == PaymentState(S.PROCESSING, at(30))


def test_at_the_same_second_failure_beats_processing() -> None:
    # Given processing and failure observed in the same second, in either order
    one = advance(advance(PaymentState(), S.PROCESSING, at(5)), S.FAILED, at(5))
    other = advance(advance(PaymentState(), S.FAILED, at(5)), S.PROCESSING, at(5))
    # Then both orders end failed: processing precedes an outcome, never follows it
    assert one.status is other.status is S.FAILED


def test_naive_times_are_refused() -> None:
    # Given a naive datetime
    naive = at(0).replace(tzinfo=None)
    # When used as an observation time or a state time, Then it is refused by name
    with pytest.raises(PaymentDataError) as err:
        advance(PaymentState(), S.PROCESSING, naive)
    assert err.value.field == "observed_at"
    with pytest.raises(PaymentDataError):
        PaymentState(S.PROCESSING, naive)


observations = st.lists(
    st.tuples(st.sampled_from([S.PROCESSING, S.FAILED, S.SUCCEEDED]), st.integers(0, 50)),
    min_size=1,
    max_size=6,
    unique=True,
)


@settings(max_examples=250, deadline=None)
@given(observations, st.randoms(use_true_random=False))
def test_final_status_does_not_depend_on_delivery_order(obs, rnd) -> None:
    # Given a set of observations of one payment
    shuffled = list(obs)
    rnd.shuffle(shuffled)

    # When they are applied in two different orders
    def run(seq):
        state = PaymentState()
        for status, t in seq:
            state = advance(state, status, at(t))
        return state

    first, second = run(obs), run(shuffled)
    # Then the final status is the same, and a success anywhere means succeeded
    assert first.status is second.status
    assert (first.status is S.SUCCEEDED) == any(status is S.SUCCEEDED for status, _ in obs)
    if first.status is not S.SUCCEEDED:
        assert first == second


# --------------------------------------------------------------------------------------------------
# apply_payment(): amounts in minor units
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "received", "applied", "remaining", "excess"),
    [
        (10000, 10000, 10000, 0, 0),
        (10000, 4000, 4000, 6000, 0),
        (10000, 12500, 10000, 0, 2500),
        (0, 500, 0, 0, 500),
        (10000, 0, 0, 10000, 0),
    ],
)
def test_payment_splits_into_applied_remaining_and_excess(due, received, applied, remaining, excess) -> None:
    # Given an amount due and an amount received, When applied, Then it splits as expected
    result = apply_payment(due, received)
    assert (result.applied, result.remaining_due, result.excess) == (applied, remaining, excess)


@pytest.mark.parametrize(
    ("due", "received", "field"),
    [(-1, 5, "amount_due"), (5, -1, "amount_received"), (5, 1.5, "amount_received"), (True, 5, "amount_due")],
)
def test_bad_amounts_are_refused_by_name(due, received, field) -> None:
    # Given a negative, fractional or boolean amount, When applied, Then the field is named
    with pytest.raises(PaymentDataError) as err:
        apply_payment(due, received)
    assert err.value.field == field


@settings(max_examples=250, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_no_money_is_created_or_lost(due: int, received: int) -> None:
    # Given any amounts, When applied, Then what is applied plus the excess is what was received
    result = apply_payment(due, received)
    assert result.applied + result.excess == received
    assert result.applied + result.remaining_due == due
    assert min(result.applied, result.remaining_due, result.excess) >= 0


# --------------------------------------------------------------------------------------------------
# The invoice's payments aggregate
# --------------------------------------------------------------------------------------------------


def succeeded(amount: int, *, ref: str = "pi_1", t: int = 10, event_id: str = "evt_s") -> PaymentSucceeded:
    return PaymentSucceeded(
        event_id=event_id,
        event_type="payment_intent.succeeded",
        occurred_at=at(t),
        invoice_id="inv_1",
        payment_ref=ref,
        amount=amount,
        currency="sek",
    )


def processing(*, ref: str = "pi_1", t: int = 5) -> PaymentProcessing:
    return PaymentProcessing(
        event_id="evt_p",
        event_type="payment_intent.processing",
        occurred_at=at(t),
        invoice_id="inv_1",
        payment_ref=ref,
        amount=10000,
        currency="sek",
    )


def failed(*, ref: str = "pi_1", t: int = 7) -> PaymentFailed:
    return PaymentFailed(
        event_id="evt_f",
        event_type="payment_intent.payment_failed",
        occurred_at=at(t),
        invoice_id="inv_1",
        payment_ref=ref,
        amount=10000,
        currency="sek",
        failure_code="card_declined",
        decline_code="generic_decline",
    )


def test_a_full_payment_settles_the_invoice_once() -> None:
    # Given an invoice of 100.00 SEK
    invoice = InvoicePayments(invoice_total=10000, currency="SEK")
    # When the session completion and the PaymentIntent success both report the same payment
    first = apply_event(invoice, succeeded(10000, event_id="evt_cs"))
    second = apply_event(first.payments, succeeded(10000, event_id="evt_pi"))
    # Then the money is applied once: one settlement, one receipt
    assert first.settled_amount == 10000 and first.payments.status is InvoicePaymentStatus.PAID
    assert second.changed is False and second.settled_amount == 0
    assert second.payments.amount_due == 0


def test_a_partial_payment_leaves_the_rest_due() -> None:
    # Given an invoice of 100.00
    invoice = InvoicePayments(invoice_total=10000, currency="sek")
    # When 40.00 is paid, then a second payment of 60.00
    partial = apply_event(invoice, succeeded(4000, ref="pi_1"))
    rest = apply_event(partial.payments, succeeded(6000, ref="pi_2", t=20))
    # Then 60.00 stays due after the first, and the second settles it
    assert partial.payments.amount_due == 6000
    assert partial.payments.status is InvoicePaymentStatus.PARTIALLY_PAID
    assert rest.payments.status is InvoicePaymentStatus.PAID and rest.settled_amount == 6000


def test_an_overpayment_returns_the_excess_for_the_customer_balance() -> None:
    # Given an invoice of 100.00, When 125.00 is received
    outcome = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(12500))
    # Then 100.00 settles the invoice and 25.00 goes to the balance
    assert (outcome.settled_amount, outcome.excess_for_balance) == (10000, 2500)
    assert outcome.payments.amount_paid == 10000


def test_late_processing_and_failure_after_success_change_nothing() -> None:
    # Given a paid invoice
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000, t=10)).payments
    # When the earlier processing and a stray failure arrive late
    for late in (processing(t=5), failed(t=30)):
        outcome = apply_event(paid, late)
        # Then nothing moves
        assert outcome.changed is False
        assert outcome.payments.status is InvoicePaymentStatus.PAID


def test_in_any_order_a_processing_failure_success_sequence_ends_paid_once() -> None:
    # Given the events of one payment that went processing -> failed -> (retry) succeeded
    events = [processing(t=5), failed(t=7), succeeded(10000, t=10)]
    for order in itertools.permutations(events):
        invoice = InvoicePayments(invoice_total=10000, currency="sek")
        settled = 0
        # When they are delivered in this order
        for event in order:
            outcome = apply_event(invoice, event)
            invoice, settled = outcome.payments, settled + outcome.settled_amount
        # Then the invoice is paid and the money counted once
        assert invoice.status is InvoicePaymentStatus.PAID
        assert settled == 10000


def test_status_shows_processing_and_failed_before_any_money() -> None:
    # Given an unpaid invoice
    invoice = InvoicePayments(invoice_total=10000, currency="sek")
    assert invoice.status is InvoicePaymentStatus.UNPAID
    # When a payment is processing, Then the page says processing; when it fails, failed
    assert apply_event(invoice, processing()).payments.status is InvoicePaymentStatus.PROCESSING
    assert apply_event(invoice, failed()).payments.status is InvoicePaymentStatus.FAILED


def test_a_payment_in_another_currency_is_refused() -> None:
    # Given an invoice in SEK, When a EUR payment arrives, Then it is refused by name
    event = PaymentSucceeded(
        event_id="e",
        event_type="payment_intent.succeeded",
        occurred_at=at(1),
        invoice_id="inv_1",
        payment_ref="pi_1",
        amount=100,
        currency="eur",
    )
    with pytest.raises(PaymentDataError) as err:
        apply_event(InvoicePayments(invoice_total=10000, currency="sek"), event)
    assert err.value.field == "currency"


def refund(total: int, *, charge: str = "ch_1") -> RefundIssued:
    return RefundIssued(
        event_id=f"evt_r{total}",
        event_type="charge.refunded",
        occurred_at=at(50),
        invoice_id="inv_1",
        payment_ref="pi_1",
        charge_ref=charge,
        amount_refunded_total=total,
        currency="sek",
    )


def test_refunds_credit_only_the_growth_of_the_cumulative_amount_in_any_order() -> None:
    # Given a paid invoice and two partial refunds of the same charge (cumulative 30.00, then 100.00)
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000)).payments
    for order in ([refund(3000), refund(10000)], [refund(10000), refund(3000)]):
        state, credited = paid, []
        # When they arrive in this order (and one is replayed)
        for event in [*order, order[0]]:
            outcome = apply_event(state, event)
            state = outcome.payments
            credited.append(outcome.credit_note_amount)
        # Then credit notes cover exactly 100.00 in total
        assert sum(credited) == 10000
        assert state.refunded_total == 10000


def dispute(opened: bool, *, t: int = 60) -> DisputeOpened | DisputeClosed:
    cls = DisputeOpened if opened else DisputeClosed
    return cls(
        event_id=f"evt_d{opened}",
        event_type="charge.dispute.created" if opened else "charge.dispute.closed",
        occurred_at=at(t),
        dispute_ref="dp_1",
        charge_ref="ch_1",
        payment_ref="pi_1",
        amount=10000,
        currency="sek",
        reason="fraudulent",
        status="needs_response" if opened else "won",
    )


def test_a_dispute_flags_the_invoice_and_a_late_creation_never_reopens_it() -> None:
    # Given a paid invoice
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000)).payments
    # When a dispute opens, Then the invoice is flagged
    opened = apply_event(paid, dispute(True))
    assert opened.dispute_opened and opened.payments.disputed
    # When it closes, Then the flag is lifted; When the creation is replayed late, Then nothing changes
    closed = apply_event(opened.payments, dispute(False))
    assert closed.dispute_closed and not closed.payments.disputed
    late = apply_event(closed.payments, dispute(True))
    assert late.changed is False and not late.payments.disputed
    # And in reverse order, the close first: the dispute is closed and never flagged
    reverse = apply_event(apply_event(paid, dispute(False)).payments, dispute(True))
    assert reverse.changed is False and not reverse.payments.disputed


def reversal(
    amount: int, *, ref: str = "pi_1", event_id: str = "evt_r", currency: str = "SEK"
) -> PaymentReversed:
    return PaymentReversed(
        event_id=event_id,
        event_type="autogiro.payment.refunded",
        occurred_at=at(90),
        invoice_id="inv_1",
        payment_ref=ref,
        amount=amount,
        currency=currency,
        reason="The payer's bank returned the payment.",
    )


def test_a_payment_taken_back_makes_the_invoice_owed_again_once() -> None:
    # Given an invoice of 100.00 paid in two parts
    invoice = InvoicePayments(invoice_total=10000, currency="sek")
    invoice = apply_event(invoice, succeeded(4000, ref="pi_1")).payments
    paid = apply_event(invoice, succeeded(6000, ref="pi_2", t=20)).payments
    # When the payer's bank takes the second back, and the report is delivered again
    back = apply_event(paid, reversal(6000, ref="pi_2"))
    again = apply_event(back.payments, reversal(6000, ref="pi_2", event_id="evt_r2"))
    # Then 60.00 is owed again, once; nothing is credited (a reversal is not a refund)
    assert back.reversed_amount == 6000 and back.payments.amount_due == 6000
    assert back.payments.status is InvoicePaymentStatus.PARTIALLY_PAID and back.credit_note_amount == 0
    assert again.changed is False and again.payments.amount_due == 6000
    # And a replay of the reversed payment's success does not pay it again
    assert apply_event(back.payments, succeeded(6000, ref="pi_2", t=20)).changed is False


def test_a_reversal_before_its_payment_means_that_payment_never_counts() -> None:
    invoice = InvoicePayments(invoice_total=10000, currency="sek")
    first = apply_event(invoice, reversal(10000))
    late_success = apply_event(first.payments, succeeded(10000))
    assert first.reversed_amount == 0 and late_success.settled_amount == 0
    assert late_success.payments.amount_due == 10000


def test_an_overpaid_payment_taken_back_reopens_only_what_it_paid_off() -> None:
    # Given 125.00 received on an invoice of 100.00 (25.00 went to the customer's balance)
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(12500)).payments
    # When all 125.00 is taken back, Then the invoice is owed its 100.00 again, never more
    back = apply_event(paid, reversal(12500))
    assert back.reversed_amount == 10000 and back.payments.amount_due == 10000


@pytest.mark.parametrize(("status", "owed_again"), [("lost", 10000), ("won", 0), ("warning_closed", 0)])
def test_a_lost_dispute_takes_the_payment_back(status: str, owed_again: int) -> None:
    # Given a paid invoice under dispute
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000)).payments
    opened = apply_event(paid, dispute(True)).payments
    # When the dispute closes
    closed = dispute(False)
    closed = DisputeClosed(**{**closed.__dict__, "status": status})
    outcome = apply_event(opened, closed)
    # Then only a lost one makes the invoice owed again
    assert outcome.reversed_amount == owed_again and outcome.payments.amount_due == owed_again
    assert apply_event(outcome.payments, closed).changed is False


def test_a_reversal_in_another_currency_is_refused() -> None:
    paid = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000)).payments
    with pytest.raises(PaymentDataError) as err:
        apply_event(paid, reversal(10000, currency="EUR"))
    assert err.value.field == "currency"


def test_mandate_and_dispute_statuses_move_forward_only() -> None:
    # Given statuses, When older ones arrive late, Then they are ignored
    assert advance_mandate(MandateStatus.INACTIVE, MandateStatus.ACTIVE) is MandateStatus.INACTIVE
    assert advance_mandate(MandateStatus.PENDING, MandateStatus.ACTIVE) is MandateStatus.ACTIVE
    assert advance_mandate(None, MandateStatus.PENDING) is MandateStatus.PENDING
    assert advance_dispute(DisputeStatus.CLOSED, DisputeStatus.OPEN) is DisputeStatus.CLOSED
    assert refund_delta(5000, 3000) == 0


# --------------------------------------------------------------------------------------------------
# Payment methods per currency and purpose
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "reusable", "expected"),
    [
        ("SEK", False, ["card", "klarna", "swish"]),
        ("eur", False, ["card", "klarna", "sepa_debit"]),
        ("eur", True, ["card", "klarna", "sepa_debit"]),
        ("sek", True, ["card", "klarna"]),
    ],
)
def test_methods_follow_the_currency_and_reusability(currency, reusable, expected) -> None:
    # Given a tenant that enabled everything, When methods are chosen, Then only fitting ones remain
    enabled = ["card", "klarna", "swish", "sepa_debit"]
    assert choose_payment_methods(currency, enabled, reusable=reusable) == expected


def test_no_fitting_method_is_an_error_not_an_empty_list() -> None:
    # Given only Swish enabled, When a mandate in SEK is set up, Then it is refused by name
    with pytest.raises(PaymentDataError) as err:
        choose_payment_methods("sek", ["swish"], reusable=True)
    assert err.value.field == "payment_methods"


def test_the_aggregate_survives_a_storage_round_trip() -> None:
    # Given an invoice with a partial payment, a processing one, a refund and an open dispute
    invoice = InvoicePayments(invoice_total=10000, currency="sek")
    events = (
        succeeded(4000, ref="pi_1"),
        processing(ref="pi_2"),
        refund(1000),
        DisputeOpened(**{**dispute(True).__dict__, "amount": 4000}),
        reversal(10, ref="pi_9"),
    )
    for event in events:
        invoice = apply_event(invoice, event).payments
    # When written to a record and read back (through JSON, as a store would)
    restored = InvoicePayments.from_record(json.loads(json.dumps(invoice.to_record())))
    # Then it is the same aggregate, and replaying an event still changes nothing
    assert restored == invoice
    assert apply_event(restored, succeeded(4000, ref="pi_1")).changed is False


def test_a_record_written_before_reversals_existed_still_reads() -> None:
    invoice = apply_event(InvoicePayments(invoice_total=10000, currency="sek"), succeeded(10000)).payments
    old = {k: v for k, v in invoice.to_record().items() if k not in ("applied_by_ref", "reversed_refs")}
    restored = InvoicePayments.from_record(old)
    assert restored.amount_paid == 10000 and restored.reversed_refs == frozenset()
    # A reversal of a payment recorded before then reopens the amount taken back, capped by what is paid
    assert apply_event(restored, reversal(10000)).payments.amount_due == 10000


def test_a_foreign_record_is_refused() -> None:
    # Given a record missing the total, When read, Then it is refused by name
    with pytest.raises(PaymentDataError) as err:
        InvoicePayments.from_record({"currency": "sek"})
    assert err.value.field == "record"
