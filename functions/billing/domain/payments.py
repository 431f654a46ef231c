"""Payments of an invoice, independent of any provider: states, amounts and provider events as facts.

Two things live here, all pure (Stripe's JSON is mapped to these events in domain/stripe_events.py):

1. A forward-only state machine per payment (one Stripe PaymentIntent is one payment). Webhooks
   arrive late, twice and out of order, so a state only moves forward and the order is judged from
   the object's own state and timestamp, never from the order of delivery: a late "processing" never
   undoes "succeeded", a success always supersedes a failure.
2. The invoice's payments as one aggregate (`InvoicePayments`): the amount still due after partial
   payments, the excess of an overpayment (for the customer balance), the cumulative refunds (for credit
   notes) and open disputes. Amounts are integers in minor units (öre, cents) throughout.

The module imports nothing outside the standard library; times are passed in, always aware.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

# Keys of the metadata we attach to every Checkout Session, PaymentIntent and SetupIntent, so that the
# events about them can be traced back to our invoice without a lookup.
METADATA_INVOICE_ID = "invoice_id"
METADATA_ATTEMPT = "attempt"
METADATA_CUSTOMER_ID = "customer_id"
METADATA_TENANT_ID = "tenant_id"


class PaymentDataError(ValueError):
    """A payment amount or provider event is unusable; `field` names the culprit, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --------------------------------------------------------------------------------------------------
# Payment methods
# --------------------------------------------------------------------------------------------------

# Methods that can be charged again later without the customer (a reusable mandate). Swish is a
# one-off push payment and is never offered for "pay automatically".
REUSABLE_METHODS = frozenset({"card", "sepa_debit", "klarna"})
# Methods restricted to one currency: offering them for another would make Stripe refuse the session.
CURRENCY_BOUND_METHODS = {"swish": "sek", "sepa_debit": "eur"}


def choose_payment_methods(currency: str, enabled: Iterable[str], *, reusable: bool) -> list[str]:
    """The tenant's enabled methods that fit this currency (and, for a mandate, that can be reused).

    Order is kept as the tenant configured it; Checkout shows them in its own order anyway.
    Raises `PaymentDataError` when nothing is left, because a session offering no method is useless.
    """
    currency = currency.lower()
    chosen: list[str] = []
    for method in enabled:
        bound = CURRENCY_BOUND_METHODS.get(method)
        if bound is not None and bound != currency:
            continue
        if reusable and method not in REUSABLE_METHODS:
            continue
        if method not in chosen:
            chosen.append(method)
    if not chosen:
        raise PaymentDataError(
            "payment_methods", f"no enabled method fits currency {currency!r} (reusable={reusable})"
        )
    return chosen


# --------------------------------------------------------------------------------------------------
# The state machine of one payment
# --------------------------------------------------------------------------------------------------


class PaymentStatus(enum.StrEnum):
    """The status of one payment (one PaymentIntent), as far as an invoice cares."""

    NONE = "none"  # nothing heard yet
    PROCESSING = "processing"  # accepted by the provider, money not yet confirmed (SEPA, Klarna)
    FAILED = "failed"  # the latest attempt on this payment failed; the customer may try again
    SUCCEEDED = "succeeded"  # final: money received


# NONE < PROCESSING = FAILED < SUCCEEDED. PROCESSING and FAILED share a rank because a payment can go
# processing -> failed (a SEPA debit bounces) and failed -> processing (the customer tries again on the
# same PaymentIntent): between those two only a strictly newer observation wins.
_RANK = {
    PaymentStatus.NONE: 0,
    PaymentStatus.PROCESSING: 1,
    PaymentStatus.FAILED: 1,
    PaymentStatus.SUCCEEDED: 2,
}


@dataclass(frozen=True)
class PaymentState:
    """What we know about one payment: its status and the time of the observation that set it."""

    status: PaymentStatus = PaymentStatus.NONE
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise PaymentDataError("as_of", "must be timezone-aware")


def advance(state: PaymentState, observed: PaymentStatus, observed_at: datetime) -> PaymentState:
    """The state after observing `observed` at `observed_at`; `state` itself when it is not newer.

    Rules: SUCCEEDED is final; a higher rank always wins; at equal rank (processing vs failed) only a
    strictly newer observation wins, and at the same second the failure wins because "processing" is
    what precedes an outcome, never what follows it. A newer observation of the same status moves the
    time forward, so the result is the same whatever order the observations arrive in.
    """
    if observed_at.tzinfo is None:
        raise PaymentDataError("observed_at", "must be timezone-aware")
    if state.status is PaymentStatus.SUCCEEDED and observed is PaymentStatus.SUCCEEDED:
        # Two reports of one success (the session and its PaymentIntent): it succeeded at the earlier.
        assert state.as_of is not None
        return PaymentState(observed, observed_at) if observed_at < state.as_of else state
    if state.status is PaymentStatus.SUCCEEDED or observed is PaymentStatus.NONE:
        return state
    current_rank, observed_rank = _RANK[state.status], _RANK[observed]
    if observed_rank > current_rank:
        return PaymentState(observed, observed_at)
    if observed_rank < current_rank:
        return state
    assert state.as_of is not None  # rank 1 is only ever reached with a timestamp
    if observed_at > state.as_of or (observed_at == state.as_of and observed is PaymentStatus.FAILED):
        return PaymentState(observed, observed_at)
    return state


# --------------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentApplication:
    """How one received amount splits against what was due (minor units)."""

    applied: int  # reduces the amount due
    remaining_due: int  # still to be paid after this payment (a partial payment leaves some)
    excess: int  # overpaid: goes to the customer's balance


def apply_payment(amount_due: int, amount_received: int) -> PaymentApplication:
    """Split `amount_received` against `amount_due`. Both in minor units, never negative."""
    _check_minor_units("amount_due", amount_due)
    _check_minor_units("amount_received", amount_received)
    applied = min(amount_due, amount_received)
    return PaymentApplication(
        applied=applied, remaining_due=amount_due - applied, excess=amount_received - applied
    )


def _check_minor_units(name: str, value: int) -> None:
    # bool is an int subclass; True as an amount is a bug somewhere upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise PaymentDataError(name, f"must be an integer in minor units, got {type(value).__name__}")
    if value < 0:
        raise PaymentDataError(name, f"must not be negative, got {value}")


# --------------------------------------------------------------------------------------------------
# Domain events (what a provider event means for us)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PaymentEvent:
    """Fields every mapped event has. `event_id` is the provider's id: the key for processing once."""

    event_id: str
    event_type: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class _PaymentFact(PaymentEvent):
    # invoice_id comes from our metadata; payment_ref (the PaymentIntent id) is the fallback key when
    # an object carries no metadata of ours (disputes, some charges).
    invoice_id: str | None
    payment_ref: str | None
    amount: int
    currency: str
    customer_ref: str | None = None
    charge_ref: str | None = None  # the payment's charge: refunds and disputes may name only that


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(_PaymentFact):
    """Money was received for `payment_ref`; `amount` is what was received."""

    payment_method_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(_PaymentFact):
    """A payment attempt failed. Only codes are kept: a provider's message may quote card details."""

    failure_code: str | None = None
    decline_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentProcessing(_PaymentFact):
    """The payment was accepted and is waiting for the money (bank debits, some wallets)."""


@dataclass(frozen=True, kw_only=True)
class PaymentReversed(PaymentEvent):
    """Money we counted as received was taken back without our say: the payer's bank returned an
    Autogiro debit (TK77), or a card dispute was lost. The invoice is owed again; unlike a refund,
    nothing is credited."""

    invoice_id: str | None
    payment_ref: str  # the payment that was reversed, as it was settled
    amount: int
    currency: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RefundIssued(PaymentEvent):
    """A charge was refunded. `amount_refunded_total` is cumulative, so replays and reordering are harmless:
    use `refund_delta` against what was already credited."""

    invoice_id: str | None
    payment_ref: str | None
    charge_ref: str
    amount_refunded_total: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class _DisputeFact(PaymentEvent):
    dispute_ref: str
    charge_ref: str | None
    payment_ref: str | None
    amount: int
    currency: str
    reason: str | None
    status: str


@dataclass(frozen=True, kw_only=True)
class DisputeOpened(_DisputeFact):
    """The customer's bank disputes a payment: the invoice is flagged."""


@dataclass(frozen=True, kw_only=True)
class DisputeClosed(_DisputeFact):
    """A dispute ended; `status` says how (`won`, `lost`, `warning_closed`, ...)."""


@dataclass(frozen=True, kw_only=True)
class MandateActivated(PaymentEvent):
    """A reusable payment method was set up: from now on the invoices can be charged off-session."""

    invoice_id: str | None
    customer_id: str | None  # ours, from metadata
    customer_ref: str  # the provider's customer
    payment_method_ref: str
    mandate_ref: str | None  # absent for cards, which need no mandate object
    setup_ref: str


@dataclass(frozen=True, kw_only=True)
class MandateUpdated(PaymentEvent):
    """A mandate changed status (`active`, `inactive`, `pending`)."""

    mandate_ref: str
    payment_method_ref: str | None
    status: MandateStatus


@dataclass(frozen=True, kw_only=True)
class MandateDetached(PaymentEvent):
    """The payment method behind a mandate was detached: fall back to ordinary invoices."""

    payment_method_ref: str
    customer_ref: str | None


@dataclass(frozen=True, kw_only=True)
class IgnoredEvent(PaymentEvent):
    """An event we acknowledge and do nothing with, and why."""

    reason: str


DomainPaymentEvent = (
    PaymentSucceeded
    | PaymentFailed
    | PaymentProcessing
    | RefundIssued
    | PaymentReversed
    | DisputeOpened
    | DisputeClosed
    | MandateActivated
    | MandateUpdated
    | MandateDetached
    | IgnoredEvent
)


class MandateStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    INACTIVE = "inactive"


# pending < active < inactive: an inactive mandate is never revived (a new setup makes a new mandate).
_MANDATE_RANK = {MandateStatus.PENDING: 0, MandateStatus.ACTIVE: 1, MandateStatus.INACTIVE: 2}


def advance_mandate(current: MandateStatus | None, observed: MandateStatus) -> MandateStatus:
    """Mandate status only moves forward, whatever order `mandate.updated` events arrive in."""
    if current is None or _MANDATE_RANK[observed] > _MANDATE_RANK[current]:
        return observed
    return current


class DisputeStatus(enum.StrEnum):
    NONE = "none"
    OPEN = "open"
    CLOSED = "closed"


def advance_dispute(current: DisputeStatus, observed: DisputeStatus) -> DisputeStatus:
    """none < open < closed: a late `charge.dispute.created` never reopens a closed dispute."""
    order = [DisputeStatus.NONE, DisputeStatus.OPEN, DisputeStatus.CLOSED]
    return observed if order.index(observed) > order.index(current) else current


def refund_delta(already_credited: int, amount_refunded_total: int) -> int:
    """What a new credit note must cover: the growth of the cumulative refund, never negative."""
    _check_minor_units("already_credited", already_credited)
    _check_minor_units("amount_refunded_total", amount_refunded_total)
    return max(0, amount_refunded_total - already_credited)


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
        _check_minor_units("invoice_total", self.invoice_total)
        _check_minor_units("amount_paid", self.amount_paid)
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
        _check_minor_units("amount", event.amount)
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


# --------------------------------------------------------------------------------------------------
# Results of gateway calls (the services' port speaks these; the Stripe adapter builds them)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted payment page to redirect the customer to."""

    session_id: str
    url: str
    status: str  # open, complete, expired
    payment_ref: str | None = None


class ChargeStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"  # bank debits: the outcome arrives as a webhook
    AUTHENTICATION_REQUIRED = "authentication_required"  # ask the customer to finish on the page
    DECLINED = "declined"  # retry on the tenant's schedule, then fall back to an ordinary invoice


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of charging a stored payment method without the customer present."""

    status: ChargeStatus
    payment_ref: str | None
    failure_code: str | None = None
    decline_code: str | None = None


# --------------------------------------------------------------------------------------------------
# The customer's mandate, and what the daily collector does with a charge's outcome
# --------------------------------------------------------------------------------------------------


class FallbackReason(enum.StrEnum):
    """Why automatic payment stopped; the page and the email say it in words."""

    MANDATE_INACTIVE = "mandate_inactive"  # the bank or the customer revoked the mandate
    PAYMENT_METHOD_DETACHED = "payment_method_detached"  # the saved method was removed
    RETRIES_EXHAUSTED = "retries_exhausted"  # every attempt on the tenant's schedule was declined


@dataclass(frozen=True)
class Mandate:
    """A customer's saved payment method for automatic payment, as recorded from `MandateActivated`."""

    customer_ref: str
    payment_method_ref: str
    mandate_ref: str | None
    status: MandateStatus
    activated_at: datetime
    setup_ref: str

    @property
    def usable(self) -> bool:
        return self.status is MandateStatus.ACTIVE


@dataclass(frozen=True)
class MandateOutcome:
    mandate: Mandate | None
    changed: bool
    fallback: FallbackReason | None = None  # set once, when automatic payment just stopped


def apply_mandate_event(current: Mandate | None, event: DomainPaymentEvent) -> MandateOutcome:
    """Fold a mandate event into the customer's mandate. Replays and events about other mandates change
    nothing; a late activation of an older setup never replaces a newer one."""
    if isinstance(event, MandateActivated):
        if current is not None and (
            current.setup_ref == event.setup_ref or current.activated_at > event.occurred_at
        ):
            return MandateOutcome(current, changed=False)
        fresh = Mandate(
            customer_ref=event.customer_ref,
            payment_method_ref=event.payment_method_ref,
            mandate_ref=event.mandate_ref,
            status=MandateStatus.ACTIVE,
            activated_at=event.occurred_at,
            setup_ref=event.setup_ref,
        )
        return MandateOutcome(fresh, changed=True)
    if current is None:
        return MandateOutcome(None, changed=False)
    if isinstance(event, MandateUpdated) and event.mandate_ref == current.mandate_ref:
        status = advance_mandate(current.status, event.status)
        if status is current.status:
            return MandateOutcome(current, changed=False)
        updated = replace(current, status=status)
        stopped = current.usable and status is MandateStatus.INACTIVE
        return MandateOutcome(
            updated, changed=True, fallback=FallbackReason.MANDATE_INACTIVE if stopped else None
        )
    if isinstance(event, MandateDetached) and event.payment_method_ref == current.payment_method_ref:
        if current.status is MandateStatus.INACTIVE:
            return MandateOutcome(current, changed=False)
        updated = replace(current, status=MandateStatus.INACTIVE)
        return MandateOutcome(updated, changed=True, fallback=FallbackReason.PAYMENT_METHOD_DETACHED)
    return MandateOutcome(current, changed=False)


class CollectorAction(enum.StrEnum):
    SETTLED = "settled"  # money received; the webhook settles the invoice (once, by event id)
    AWAIT_WEBHOOK = "await_webhook"  # a bank debit is processing; the webhook decides
    ASK_CUSTOMER = "ask_customer"  # email a link to finish the payment on the invoice page
    RETRY = "retry"  # charge again on `retry_on` with `next_attempt`
    FALL_BACK = "fall_back"  # stop charging: an ordinary invoice, with a clear message


@dataclass(frozen=True)
class CollectorDecision:
    action: CollectorAction
    retry_on: date | None = None
    next_attempt: int | None = None
    fallback: FallbackReason | None = None


def validate_retry_schedule(days_after_due: Sequence[int]) -> tuple[int, ...]:
    """The tenant's retry schedule: days after the due date of each attempt, starting with 0, increasing."""
    schedule = tuple(days_after_due)
    if not schedule or schedule[0] != 0:
        raise PaymentDataError("retry_schedule", "must start with 0 (the first charge is on the due date)")
    if any(isinstance(d, bool) or not isinstance(d, int) for d in schedule):
        raise PaymentDataError("retry_schedule", "must be whole days")
    if any(later <= earlier for earlier, later in itertools.pairwise(schedule)):
        raise PaymentDataError("retry_schedule", "days must strictly increase")
    return schedule


def decide_after_charge(
    result: ChargeResult, *, attempt: int, due_date: date, retry_schedule: Sequence[int]
) -> CollectorDecision:
    """What the daily collector does after charging attempt `attempt` (1-based) of an invoice due on
    `due_date`, with the tenant's `retry_schedule` (days after the due date, e.g. (0, 3, 7))."""
    schedule = validate_retry_schedule(retry_schedule)
    if attempt < 1 or attempt > len(schedule):
        raise PaymentDataError("attempt", f"must be between 1 and {len(schedule)}")
    if result.status is ChargeStatus.SUCCEEDED:
        return CollectorDecision(CollectorAction.SETTLED)
    if result.status is ChargeStatus.PROCESSING:
        return CollectorDecision(CollectorAction.AWAIT_WEBHOOK)
    if result.status is ChargeStatus.AUTHENTICATION_REQUIRED:
        # Only the customer can authenticate; charging again off-session would fail the same way.
        return CollectorDecision(CollectorAction.ASK_CUSTOMER)
    if attempt < len(schedule):
        return CollectorDecision(
            CollectorAction.RETRY,
            retry_on=due_date + timedelta(days=schedule[attempt]),
            next_attempt=attempt + 1,
        )
    return CollectorDecision(CollectorAction.FALL_BACK, fallback=FallbackReason.RETRIES_EXHAUSTED)
