"""What the dunning rules need to know about one invoice, gathered by the caller from its stores.

`InvoiceDunningState` is a snapshot: the daily job builds one per overdue invoice, asks
`decide_next_action` what to do, carries it out and records it (so the next snapshot includes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from billing.domain.dunning.errors import DunningStateError

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CREDITED = "credited"
    DISPUTED = "disputed"
    # Replaced by instalments the customer chose: each instalment is dunned on its own, never the whole.
    SPLIT = "split"


class MandateOutcome(StrEnum):
    PENDING = "pending"
    FAILED = "failed"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class MandateAttempt:
    """One charge against the customer's mandate (Stripe or Autogiro); attempt 1 is the original charge."""

    attempt: int
    on: date
    outcome: MandateOutcome


@dataclass(frozen=True)
class SentReminder:
    """A reminder already sent: its step (1-based), the day it went out and the fee it charged."""

    step: int
    sent_on: date
    fee_minor: int = 0


@dataclass(frozen=True)
class CustomerHistory:
    """How long the customer has been with the tenant and how often they paid late before this invoice."""

    tenure_months: int
    previous_late_invoices: int


@dataclass(frozen=True)
class InvoiceDunningState:
    """An invoice as the dunning rules see it.

    `due_date_moved_to` is set once the customer moved the due date (relief); the effective due date
    is then that day. `question_answered_on` is the day the customer's last question was answered;
    `question_open_since` the day of the invoice's first question (the policy caps the pause from it).
    `pays_by_mandate` says the invoice is collected by a mandate charge rather than paid by the customer.
    """

    invoice_id: str
    status: InvoiceStatus
    amount_due_minor: int
    currency: str
    original_due_date: date
    fee_agreed: bool
    customer: CustomerHistory
    due_date_moved_to: date | None = None
    question_open: bool = False
    question_answered_on: date | None = None
    question_open_since: date | None = None
    reminders_sent: tuple[SentReminder, ...] = field(default_factory=tuple)
    pays_by_mandate: bool = False
    mandate_attempts: tuple[MandateAttempt, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.invoice_id:
            raise DunningStateError("invoice_id", "must not be empty")
        if not isinstance(self.status, InvoiceStatus):
            raise DunningStateError("status", f"must be one of {[s.value for s in InvoiceStatus]}")
        _non_negative_int(self.amount_due_minor, "amount_due_minor")
        if not _CURRENCY.match(self.currency):
            raise DunningStateError("currency", "must be an ISO 4217 code like SEK")
        _non_negative_int(self.customer.tenure_months, "customer.tenure_months")
        _non_negative_int(self.customer.previous_late_invoices, "customer.previous_late_invoices")
        if self.due_date_moved_to is not None and self.due_date_moved_to <= self.original_due_date:
            raise DunningStateError("due_date_moved_to", "must be after the original due date")
        previous_day: date | None = None
        for i, reminder in enumerate(self.reminders_sent):
            if reminder.step != i + 1:
                raise DunningStateError(f"reminders_sent[{i}].step", f"must be {i + 1}: steps go in order")
            _non_negative_int(reminder.fee_minor, f"reminders_sent[{i}].fee_minor")
            if previous_day is not None and reminder.sent_on < previous_day:
                raise DunningStateError(f"reminders_sent[{i}].sent_on", "must not be before the previous one")
            previous_day = reminder.sent_on
        if self.mandate_attempts and not self.pays_by_mandate:
            raise DunningStateError("mandate_attempts", "only an invoice paid by mandate has charge attempts")
        for i, attempt in enumerate(self.mandate_attempts):
            if attempt.attempt != i + 1:
                raise DunningStateError(f"mandate_attempts[{i}].attempt", f"must be {i + 1}")
            if i and attempt.on < self.mandate_attempts[i - 1].on:
                raise DunningStateError(f"mandate_attempts[{i}].on", "must not be before the previous one")
            if i < len(self.mandate_attempts) - 1 and attempt.outcome is not MandateOutcome.FAILED:
                raise DunningStateError(
                    f"mandate_attempts[{i}].outcome", "only a failed attempt can be followed by another"
                )

    @property
    def due_date(self) -> date:
        """The due date in force: the one the customer moved it to, else the original."""
        return self.due_date_moved_to or self.original_due_date

    @property
    def reminder_fees_charged_minor(self) -> int:
        return sum(r.fee_minor for r in self.reminders_sent)


def _non_negative_int(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DunningStateError(name, "must be a whole number, not negative")
