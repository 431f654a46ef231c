"""Payment methods, the forward-only state machine of one payment, and how a received amount splits
against what is due (pure; amounts in minor units)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from billing.domain.errors import FieldError

# Keys of the metadata we attach to every Checkout Session, PaymentIntent and SetupIntent, so that the
# events about them can be traced back to our invoice without a lookup.
METADATA_INVOICE_ID = "invoice_id"
METADATA_ATTEMPT = "attempt"
METADATA_CUSTOMER_ID = "customer_id"
METADATA_TENANT_ID = "tenant_id"


class PaymentDataError(FieldError):
    """A payment amount or provider event is unusable; `field` names the culprit, `reason` says why."""


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
    check_minor_units("amount_due", amount_due)
    check_minor_units("amount_received", amount_received)
    applied = min(amount_due, amount_received)
    return PaymentApplication(
        applied=applied, remaining_due=amount_due - applied, excess=amount_received - applied
    )


def check_minor_units(name: str, value: int) -> None:
    # bool is an int subclass; True as an amount is a bug somewhere upstream.
    if not isinstance(value, int) or isinstance(value, bool):
        raise PaymentDataError(name, f"must be an integer in minor units, got {type(value).__name__}")
    if value < 0:
        raise PaymentDataError(name, f"must not be negative, got {value}")
