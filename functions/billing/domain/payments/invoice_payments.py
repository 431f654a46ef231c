"""The invoice's payments as one aggregate: amount still due, overpayment, refunds and disputes,
advanced by one event at a time."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from billing.domain.payments.events import (
    DisputeClosed,
    DisputeOpened,
    DisputeStatus,
    DomainPaymentEvent,
    PaymentFailed,
    PaymentProcessing,
    PaymentReversed,
    PaymentSucceeded,
    RefundIssued,
    advance_dispute,
    refund_delta,
)
from billing.domain.payments.state import (
    PaymentDataError,
    PaymentState,
    PaymentStatus,
    advance,
    apply_payment,
    check_minor_units,
)

# --------------------------------------------------------------------------------------------------
# The invoice's payments as one aggregate
# --------------------------------------------------------------------------------------------------


class InvoicePaymentStatus(enum.StrEnum):
    """What the invoice page shows."""

    UNPAID = "unpaid"
    PROCESSING = "processing"
    FAILED = "failed"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


@dataclass(frozen=True)
class InvoicePayments:
    """Everything payment-related on one invoice. Immutable: `apply_event` returns a new one."""

    invoice_total: int
    currency: str
    payments: Mapping[str, PaymentState] = field(default_factory=dict)
    amount_paid: int = 0  # applied to the invoice, never more than invoice_total
    settled_refs: frozenset[str] = frozenset()  # payments whose money was already applied
    refunded_total: int = 0  # sum of credited refunds
    refunds_by_charge: Mapping[str, int] = field(default_factory=dict)
    disputes: Mapping[str, DisputeStatus] = field(default_factory=dict)
    applied_by_ref: Mapping[str, int] = field(default_factory=dict)  # what each settled payment paid off
    reversed_refs: frozenset[str] = frozenset()  # payments taken back: owed again, once each
    received_by_ref: Mapping[str, int] = field(default_factory=dict)  # what each settled payment brought
    charges: Mapping[str, str] = field(default_factory=dict)  # charge id -> its payment (PaymentIntent)

    def __post_init__(self) -> None:
        check_minor_units("invoice_total", self.invoice_total)
        check_minor_units("amount_paid", self.amount_paid)
        if self.amount_paid > self.invoice_total:
            raise PaymentDataError("amount_paid", "exceeds the invoice total")

    @property
    def amount_due(self) -> int:
        return self.invoice_total - self.amount_paid

    @property
    def disputed(self) -> bool:
        return any(status is DisputeStatus.OPEN for status in self.disputes.values())

    @property
    def status(self) -> InvoicePaymentStatus:
        if self.amount_due == 0:
            return InvoicePaymentStatus.PAID
        open_states = [s for ref, s in self.payments.items() if ref not in self.settled_refs]
        if any(s.status is PaymentStatus.PROCESSING for s in open_states):
            return InvoicePaymentStatus.PROCESSING
        if self.amount_paid > 0:
            return InvoicePaymentStatus.PARTIALLY_PAID
        if any(s.status is PaymentStatus.FAILED for s in open_states):
            return InvoicePaymentStatus.FAILED
        return InvoicePaymentStatus.UNPAID

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict for storage (times as ISO 8601 with offset, sets as sorted lists)."""
        return {
            "invoice_total": self.invoice_total,
            "currency": self.currency,
            "payments": {
                ref: {"status": state.status.value, "as_of": state.as_of.isoformat() if state.as_of else None}
                for ref, state in sorted(self.payments.items())
            },
            "amount_paid": self.amount_paid,
            "settled_refs": sorted(self.settled_refs),
            "refunded_total": self.refunded_total,
            "refunds_by_charge": dict(sorted(self.refunds_by_charge.items())),
            "disputes": {ref: status.value for ref, status in sorted(self.disputes.items())},
            "applied_by_ref": dict(sorted(self.applied_by_ref.items())),
            "reversed_refs": sorted(self.reversed_refs),
            "received_by_ref": dict(sorted(self.received_by_ref.items())),
            "charges": dict(sorted(self.charges.items())),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> InvoicePayments:
        """The inverse of `to_record`; raises `PaymentDataError` on a record it did not write."""
        try:
            return cls(
                invoice_total=int(record["invoice_total"]),
                currency=str(record["currency"]),
                payments={
                    ref: PaymentState(
                        PaymentStatus(item["status"]),
                        datetime.fromisoformat(item["as_of"]) if item.get("as_of") else None,
                    )
                    for ref, item in record.get("payments", {}).items()
                },
                amount_paid=int(record.get("amount_paid", 0)),
                settled_refs=frozenset(record.get("settled_refs", ())),
                refunded_total=int(record.get("refunded_total", 0)),
                refunds_by_charge={k: int(v) for k, v in record.get("refunds_by_charge", {}).items()},
                disputes={k: DisputeStatus(v) for k, v in record.get("disputes", {}).items()},
                applied_by_ref={k: int(v) for k, v in record.get("applied_by_ref", {}).items()},
                reversed_refs=frozenset(record.get("reversed_refs", ())),
                received_by_ref={k: int(v) for k, v in record.get("received_by_ref", {}).items()},
                charges={str(k): str(v) for k, v in record.get("charges", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, PaymentDataError):
                raise
            raise PaymentDataError("record", f"not an InvoicePayments record: {err!r}") from None


@dataclass(frozen=True)
class PaymentOutcome:
    """The new aggregate and what the caller must do about it (each effect at most once per event)."""

    payments: InvoicePayments
    changed: bool
    settled_amount: int = 0  # newly applied to the invoice: update it, re-render, send a receipt
    excess_for_balance: int = 0  # overpaid: credit the customer balance
    credit_note_amount: int = 0  # newly refunded: issue a credit note
    dispute_opened: bool = False
    dispute_closed: bool = False
    reversed_amount: int = 0  # taken back: the invoice is owed again by this much


def awaited_payment(payments: InvoicePayments, event: DomainPaymentEvent) -> str | None:
    """The payment a refund or dispute must wait for, or None when it can be applied now.

    A refund or a dispute is about money this invoice received: it is applied only once the payment
    it names (its PaymentIntent, or its charge through the payment that reported it) is settled here.
    Stripe may deliver a dispute before the payment it disputes; the caller keeps such an event under
    the ids it names and applies it when that payment arrives, so the result is the same in any order.
    An event that can never be about this invoice (another currency) raises `PaymentDataError` here
    already: it is set aside, not kept waiting."""
    if not isinstance(event, RefundIssued | DisputeOpened | DisputeClosed):
        return None
    _same_currency(payments, event.currency, "refund" if isinstance(event, RefundIssued) else "dispute")
    paid_by = _payment_named(payments, event)
    if paid_by is not None and paid_by in payments.settled_refs:
        return None
    return event.payment_ref or event.charge_ref or event.event_id


def _payment_named(
    payments: InvoicePayments, event: RefundIssued | DisputeOpened | DisputeClosed
) -> str | None:
    if event.payment_ref:
        return event.payment_ref
    return payments.charges.get(event.charge_ref) if event.charge_ref else None


def _same_currency(payments: InvoicePayments, currency: str, what: str) -> None:
    if currency.lower() != payments.currency.lower():
        raise PaymentDataError("currency", f"{what} in {currency!r} for an invoice in {payments.currency!r}")


def _within_payment(payments: InvoicePayments, paid_by: str, amount: int, name: str) -> None:
    """A refund or dispute can never be for more than the payment it is about brought in."""
    received = payments.received_by_ref.get(paid_by, payments.applied_by_ref.get(paid_by))
    if received is not None and amount > received:
        raise PaymentDataError(name, f"{amount} is more than the {received} payment {paid_by} brought")


def apply_event(payments: InvoicePayments, event: DomainPaymentEvent) -> PaymentOutcome:
    """Fold one domain event into the invoice's payments. Replays and late events change nothing.

    Raises `PaymentDataError` for an event that cannot be about this invoice: another currency, or a
    refund or dispute for more than its payment brought. Such an event changes nothing; the caller
    sets it aside for an operator."""
    unchanged = PaymentOutcome(payments, changed=False)
    if isinstance(event, PaymentSucceeded | PaymentFailed | PaymentProcessing):
        _same_currency(payments, event.currency, "payment")
        ref = event.payment_ref or event.event_id
        charges = payments.charges
        if event.charge_ref and charges.get(event.charge_ref) != ref:
            charges = {**charges, event.charge_ref: ref}
        observed = {
            PaymentSucceeded: PaymentStatus.SUCCEEDED,
            PaymentFailed: PaymentStatus.FAILED,
            PaymentProcessing: PaymentStatus.PROCESSING,
        }[type(event)]
        before = payments.payments.get(ref, PaymentState())
        after = advance(before, observed, event.occurred_at)
        if after == before:
            if charges is payments.charges:
                return unchanged
            return PaymentOutcome(replace(payments, charges=charges), changed=True)
        updated = replace(payments, payments={**payments.payments, ref: after}, charges=charges)
        if after.status is not PaymentStatus.SUCCEEDED or ref in payments.settled_refs:
            return PaymentOutcome(updated, changed=True)
        received = {**payments.received_by_ref, ref: event.amount}
        if ref in payments.reversed_refs:
            # Its reversal came first (order does not matter): the money never stays, nothing is paid.
            return PaymentOutcome(
                replace(updated, settled_refs=payments.settled_refs | {ref}, received_by_ref=received),
                changed=True,
            )
        application = apply_payment(payments.amount_due, event.amount)
        updated = replace(
            updated,
            amount_paid=payments.amount_paid + application.applied,
            settled_refs=payments.settled_refs | {ref},
            applied_by_ref={**payments.applied_by_ref, ref: application.applied},
            received_by_ref=received,
        )
        return PaymentOutcome(
            updated,
            changed=True,
            settled_amount=application.applied,
            excess_for_balance=application.excess,
        )
    if isinstance(event, RefundIssued):
        _same_currency(payments, event.currency, "refund")
        if awaited_payment(payments, event) is not None:
            return unchanged
        paid_by = _payment_named(payments, event)
        assert paid_by is not None  # awaited_payment found it settled
        _within_payment(payments, paid_by, event.amount_refunded_total, "amount_refunded")
        credited = payments.refunds_by_charge.get(event.charge_ref, 0)
        delta = refund_delta(credited, event.amount_refunded_total)
        if delta == 0:
            return unchanged
        updated = replace(
            payments,
            refunded_total=payments.refunded_total + delta,
            refunds_by_charge={**payments.refunds_by_charge, event.charge_ref: credited + delta},
        )
        return PaymentOutcome(updated, changed=True, credit_note_amount=delta)
    if isinstance(event, PaymentReversed):
        _same_currency(payments, event.currency, "reversal")
        check_minor_units("amount", event.amount)
        if event.payment_ref in payments.reversed_refs:
            return unchanged
        updated, back = _reverse(payments, event.payment_ref, event.amount)
        return PaymentOutcome(updated, changed=True, reversed_amount=back)
    if isinstance(event, DisputeOpened | DisputeClosed):
        _same_currency(payments, event.currency, "dispute")
        if awaited_payment(payments, event) is not None:
            return unchanged
        paid_by = _payment_named(payments, event)
        assert paid_by is not None
        _within_payment(payments, paid_by, event.amount, "amount")
        observed_dispute = DisputeStatus.OPEN if isinstance(event, DisputeOpened) else DisputeStatus.CLOSED
        current = payments.disputes.get(event.dispute_ref, DisputeStatus.NONE)
        new = advance_dispute(current, observed_dispute)
        if new is current:
            return unchanged
        updated = replace(payments, disputes={**payments.disputes, event.dispute_ref: new})
        back = 0
        lost = isinstance(event, DisputeClosed) and event.status == "lost"
        if lost and paid_by not in payments.reversed_refs:
            # The bank kept the disputed money: that payment no longer pays the invoice.
            updated, back = _reverse(updated, paid_by, event.amount)
        return PaymentOutcome(
            updated,
            changed=True,
            dispute_opened=new is DisputeStatus.OPEN,
            dispute_closed=new is DisputeStatus.CLOSED,
            reversed_amount=back,
        )
    # Mandate events and ignored events do not concern an invoice's payments.
    return unchanged


def _reverse(payments: InvoicePayments, ref: str, amount: int) -> tuple[InvoicePayments, int]:
    """`payments` with the payment `ref` taken back, and how much the invoice is owed again: what that
    payment paid off (an overpayment's excess went to the customer's balance and is not reopened
    here), never more than the amount taken back nor than what is paid."""
    marked = replace(payments, reversed_refs=payments.reversed_refs | {ref})
    if ref not in payments.settled_refs:
        return marked, 0  # not counted yet: the later success will find it reversed
    back = min(amount, payments.applied_by_ref.get(ref, amount), payments.amount_paid)
    return replace(marked, amount_paid=payments.amount_paid - back), back
