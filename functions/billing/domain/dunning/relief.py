"""Relief the customer chooses on the invoice page: move the due date once, or split into instalments.

Both are refused with a named `ReliefRefusal` when the tenant's policy or the invoice does not allow
them, so the page can say why. Recording, confirming by email and giving each instalment its own OCR
reference are the caller's job; these functions only decide what the new terms are.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from billing.domain.dunning.errors import DunningError
from billing.domain.dunning.policy import ReminderPolicy
from billing.domain.dunning.state import InvoiceDunningState, InvoiceStatus, MandateOutcome

# The first instalment falls within a month of the request: a plan is a way to pay, not a long deferral.
MAX_DAYS_TO_FIRST_INSTALMENT = 31


class ReliefRefusal(StrEnum):
    NOT_OFFERED = "not_offered"  # the tenant has turned this relief off
    INVOICE_NOT_OPEN = "invoice_not_open"  # paid, credited, disputed or already split
    NOTHING_OWED = "nothing_owed"
    ALREADY_MOVED = "already_moved"  # the due date may be moved once
    NOT_LATER = "not_later"  # the new due date must be after the current one
    IN_THE_PAST = "in_the_past"
    BEFORE_DUE_DATE = "before_due_date"  # asking for time must never make any part due sooner
    TOO_FAR = "too_far"  # past the tenant's limit
    TOO_FEW_INSTALMENTS = "too_few_instalments"
    TOO_MANY_INSTALMENTS = "too_many_instalments"
    AMOUNT_TOO_SMALL = "amount_too_small"  # fewer minor units than instalments
    # Automatic payment still holds the invoice: a debit may already be on its way to the bank, so new
    # terms would make the customer pay twice. Relief opens once the mandate has given up.
    PAID_BY_MANDATE = "paid_by_mandate"


class ReliefRefused(DunningError):
    """The customer's request cannot be granted; `refusal` is the reason the page shows."""

    def __init__(self, refusal: ReliefRefusal, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.refusal = refusal


def latest_moved_due_date(state: InvoiceDunningState, policy: ReminderPolicy) -> date:
    """The latest day the due date may be moved to: the tenant's limit counts from the original date."""
    return state.original_due_date + timedelta(days=policy.max_due_date_move_days)


def move_due_date(
    state: InvoiceDunningState, requested_date: date, policy: ReminderPolicy, today: date
) -> InvoiceDunningState:
    """The invoice with its due date moved to `requested_date`, or `ReliefRefused`.

    Allowed once per invoice, to a day not before today, after the current due date and at most
    `policy.max_due_date_move_days` after the original due date. Allowed on an overdue invoice too:
    that is when a customer most needs it. Interest and reminders then count from the new date.
    """
    if not policy.allows_due_date_move:
        raise ReliefRefused(ReliefRefusal.NOT_OFFERED, "policy", "moving the due date is not offered")
    _require_open_and_owing(state)
    _require_not_collected(state, policy)
    if state.due_date_moved_to is not None:
        raise ReliefRefused(ReliefRefusal.ALREADY_MOVED, "due_date", "the due date may be moved only once")
    if requested_date <= state.original_due_date:
        raise ReliefRefused(ReliefRefusal.NOT_LATER, "requested_date", "must be after the current due date")
    if requested_date < today:
        raise ReliefRefused(ReliefRefusal.IN_THE_PAST, "requested_date", "must not be in the past")
    latest = latest_moved_due_date(state, policy)
    if requested_date > latest:
        raise ReliefRefused(ReliefRefusal.TOO_FAR, "requested_date", f"must be on or before {latest}")
    return dataclasses.replace(state, due_date_moved_to=requested_date)


def can_move_due_date(state: InvoiceDunningState, policy: ReminderPolicy, today: date) -> bool:
    """Whether some day could still be chosen (so a reminder may point to this relief)."""
    latest = latest_moved_due_date(state, policy)
    try:
        move_due_date(state, max(latest, today), policy, today)
    except ReliefRefused:
        return False
    return True


@dataclass(frozen=True)
class Instalment:
    """One part of a split invoice, settled like an invoice: own id (for its own OCR), amount, due date."""

    instalment_id: str
    invoice_id: str
    number: int
    amount_minor: int
    currency: str
    due_date: date


def instalment_id(invoice_id: str, number: int) -> str:
    return f"{invoice_id}:inst:{number}"


def split_into_instalments(
    invoice_id: str, amount_minor: int, currency: str, n: int, first_due: date, policy: ReminderPolicy
) -> tuple[Instalment, ...]:
    """Split `amount_minor` into `n` instalments due monthly from `first_due`.

    Amounts sum exactly to the total: each is `amount_minor // n` and the first instalment also takes
    the remainder (at most n - 1 minor units), so every later one is equal. Due dates keep
    `first_due`'s day of the month, moved back to the month's last day where a month is shorter
    (31 January, 28 or 29 February, 31 March).
    """
    if not policy.allows_instalments:
        raise ReliefRefused(ReliefRefusal.NOT_OFFERED, "policy", "instalments are not offered")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ReliefRefused(ReliefRefusal.TOO_FEW_INSTALMENTS, "n", "at least 2 instalments")
    if n > policy.max_instalments:
        raise ReliefRefused(
            ReliefRefusal.TOO_MANY_INSTALMENTS, "n", f"at most {policy.max_instalments} instalments"
        )
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < n:
        raise ReliefRefused(
            ReliefRefusal.AMOUNT_TOO_SMALL, "amount_minor", "each instalment must be at least one minor unit"
        )
    base, remainder = divmod(amount_minor, n)
    return tuple(
        Instalment(
            instalment_id=instalment_id(invoice_id, k),
            invoice_id=invoice_id,
            number=k,
            amount_minor=base + (remainder if k == 1 else 0),
            currency=currency,
            due_date=add_months(first_due, k - 1),
        )
        for k in range(1, n + 1)
    )


@dataclass(frozen=True)
class InstalmentPlan:
    """The invoice, now marked as split, and the instalments that replace it."""

    invoice: InvoiceDunningState
    instalments: tuple[Instalment, ...]


def split_invoice(
    state: InvoiceDunningState, n: int, first_due: date, policy: ReminderPolicy, today: date
) -> InstalmentPlan:
    """The customer's request to split the amount still due on an open invoice.

    The first instalment falls on or after the invoice's due date (asking for more time never makes
    any part due sooner) and today, and at most `MAX_DAYS_TO_FIRST_INSTALMENT` days after the later of
    the two (`first_instalment_window`). Fees already charged are part of `amount_due_minor` if the
    caller added them; interest accrued before the split is not added (the plan is new terms agreed
    with the customer).
    """
    _require_open_and_owing(state)
    _require_not_collected(state, policy)
    if first_due < today:
        raise ReliefRefused(ReliefRefusal.IN_THE_PAST, "first_due", "must not be in the past")
    earliest, latest = first_instalment_window(state, today)
    if first_due < earliest:
        raise ReliefRefused(
            ReliefRefusal.BEFORE_DUE_DATE,
            "first_due",
            f"must not be before the due date {earliest.isoformat()}",
        )
    if first_due > latest:
        raise ReliefRefused(
            ReliefRefusal.TOO_FAR, "first_due", f"must be within {MAX_DAYS_TO_FIRST_INSTALMENT} days"
        )
    instalments = split_into_instalments(
        state.invoice_id, state.amount_due_minor, state.currency, n, first_due, policy
    )
    return InstalmentPlan(
        invoice=dataclasses.replace(state, status=InvoiceStatus.SPLIT), instalments=instalments
    )


def first_instalment_window(state: InvoiceDunningState, today: date) -> tuple[date, date]:
    """The days the first instalment may fall on: from the due date (or today, if later) for a month."""
    earliest = max(state.due_date, today)
    return earliest, earliest + timedelta(days=MAX_DAYS_TO_FIRST_INSTALMENT)


def can_split(state: InvoiceDunningState, policy: ReminderPolicy) -> bool:
    """Whether a split into 2 instalments would be granted (so a reminder may point to this relief)."""
    return (
        policy.allows_instalments
        and state.status is InvoiceStatus.OPEN
        and state.amount_due_minor >= 2
        and not mandate_in_play(state, policy)
    )


def instalment_state(instalment: Instalment, parent: InvoiceDunningState) -> InvoiceDunningState:
    """A fresh dunning state for one instalment: dunned on its own due date, same customer and contract."""
    return InvoiceDunningState(
        invoice_id=instalment.instalment_id,
        status=InvoiceStatus.OPEN,
        amount_due_minor=instalment.amount_minor,
        currency=instalment.currency,
        original_due_date=instalment.due_date,
        fee_agreed=parent.fee_agreed,
        customer=parent.customer,
    )


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def mandate_in_play(state: InvoiceDunningState, policy: ReminderPolicy) -> bool:
    """Whether automatic payment may still take this invoice: its charge has not happened yet, is
    pending or succeeded, or failed with a retry still to come on the tenant's schedule."""
    if not state.pays_by_mandate:
        return False
    attempts = state.mandate_attempts
    if not attempts or attempts[-1].outcome is not MandateOutcome.FAILED:
        return True
    return len(attempts) - 1 < len(policy.mandate_retry_days)


def _require_not_collected(state: InvoiceDunningState, policy: ReminderPolicy) -> None:
    if mandate_in_play(state, policy):
        raise ReliefRefused(
            ReliefRefusal.PAID_BY_MANDATE,
            "pays_by_mandate",
            "automatic payment will take this invoice; new terms would charge it twice",
        )


def _require_open_and_owing(state: InvoiceDunningState) -> None:
    if state.status is not InvoiceStatus.OPEN:
        raise ReliefRefused(ReliefRefusal.INVOICE_NOT_OPEN, "status", f"the invoice is {state.status.value}")
    if state.amount_due_minor == 0:
        raise ReliefRefused(ReliefRefusal.NOTHING_OWED, "amount_due_minor", "nothing is owed")


@dataclass(frozen=True)
class ReliefChoice:
    """What the customer may still choose on an invoice today."""

    can_move: bool
    latest_due_date: date | None
    can_split: bool
    max_instalments: int
    due_date: date
    amount_due: int


def relief_choice(state: InvoiceDunningState, policy: ReminderPolicy, today: date) -> ReliefChoice:
    """The relief an open invoice in `state` offers today under `policy`: a later due date (up to
    the latest the policy allows) and instalments (up to its maximum), each only where allowed."""
    movable = can_move_due_date(state, policy, today)
    splittable = can_split(state, policy)
    return ReliefChoice(
        can_move=movable,
        latest_due_date=latest_moved_due_date(state, policy) if movable else None,
        can_split=splittable,
        max_instalments=policy.max_instalments if splittable else 0,
        due_date=state.due_date,
        amount_due=state.amount_due_minor,
    )
