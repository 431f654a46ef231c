"""What a provider event means for us: the domain's payment and mandate events, and the forward-only
mandate and dispute statuses."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from billing.domain.payments.state import check_minor_units

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
    check_minor_units("already_credited", already_credited)
    check_minor_units("amount_refunded_total", amount_refunded_total)
    return max(0, amount_refunded_total - already_credited)
