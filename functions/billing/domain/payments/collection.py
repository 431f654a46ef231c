"""Results of gateway calls, the customer's mandate, and what the daily collector does with a
charge's outcome."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from billing.domain.payments.events import (
    DomainPaymentEvent,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    advance_mandate,
)
from billing.domain.payments.state import PaymentDataError

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
