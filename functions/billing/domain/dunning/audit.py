"""Entries of an invoice's audit trail for every dunning step: what happened, when, by whom, details.

The caller stores each entry beside the invoice; these builders keep the wording of the trail the
same wherever a step is taken (the daily job, the invoice page, the operator's export).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from billing.domain.dunning.decision import RetryMandateCharge, SendReminder
from billing.domain.dunning.errors import DunningError
from billing.domain.dunning.relief import InstalmentPlan
from billing.domain.dunning.state import InvoiceDunningState


class Actor(StrEnum):
    SYSTEM = "system"
    CUSTOMER = "customer"
    OPERATOR = "operator"


class AuditAction(StrEnum):
    MANDATE_RETRY_REQUESTED = "mandate_retry_requested"
    REMINDER_SENT = "reminder_sent"
    REMINDERS_PAUSED = "reminders_paused"
    REMINDERS_RESUMED = "reminders_resumed"
    DUE_DATE_MOVED = "due_date_moved"
    SPLIT_INTO_INSTALMENTS = "split_into_instalments"
    EXPORTED_FOR_COLLECTION = "exported_for_collection"


@dataclass(frozen=True)
class AuditEntry:
    """One step in an invoice's trail. `actor_id` names the operator or customer (the system has none).

    `details` holds strings and integers only (amounts in minor units, dates as ISO strings) so an
    entry stores as JSON without conversion.
    """

    invoice_id: str
    action: AuditAction
    at: datetime
    actor: Actor
    actor_id: str | None = None
    details: Mapping[str, str | int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.invoice_id:
            raise DunningError("invoice_id", "must not be empty")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise DunningError("at", "must be timezone-aware")
        if self.actor is Actor.SYSTEM and self.actor_id is not None:
            raise DunningError("actor_id", "the system acts without an id")
        if self.actor is not Actor.SYSTEM and not self.actor_id:
            raise DunningError("actor_id", f"a {self.actor.value} must be named")
        for key, value in self.details.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise DunningError(f"details.{key}", "must be a string or a whole number")
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def to_json(self) -> dict[str, object]:
        return {
            "invoice_id": self.invoice_id,
            "action": self.action.value,
            "at": self.at.isoformat(),
            "actor": self.actor.value,
            "actor_id": self.actor_id,
            "details": dict(self.details),
        }


def action_entry(action: RetryMandateCharge | SendReminder, at: datetime) -> AuditEntry:
    """The trail entry for an action the daily job carried out (the system acts)."""
    if isinstance(action, RetryMandateCharge):
        return AuditEntry(
            invoice_id=action.invoice_id,
            action=AuditAction.MANDATE_RETRY_REQUESTED,
            at=at,
            actor=Actor.SYSTEM,
            details={"attempt": action.attempt, "idempotency_key": action.idempotency_key},
        )
    details: dict[str, str | int] = {
        "step": action.step,
        "tone": action.tone.value,
        "currency": action.currency,
        "fee_minor": action.fee_minor,
        "interest_through": action.interest_through.isoformat(),
    }
    if action.interest_minor is None:
        details["interest_unavailable"] = action.interest_unavailable or "reference rate missing"
    else:
        details["interest_minor"] = action.interest_minor
    return AuditEntry(
        invoice_id=action.invoice_id,
        action=AuditAction.REMINDER_SENT,
        at=at,
        actor=Actor.SYSTEM,
        details=details,
    )


def reminders_paused_entry(invoice_id: str, reason: str, at: datetime) -> AuditEntry:
    """Reminders paused (e.g. `question_open`, `disputed`): recorded once when the pause begins."""
    return AuditEntry(invoice_id, AuditAction.REMINDERS_PAUSED, at, Actor.SYSTEM, details={"reason": reason})


def reminders_resumed_entry(invoice_id: str, resume_on: date, at: datetime) -> AuditEntry:
    """Reminders resume on `resume_on` (e.g. the question was answered; see `resume_grace_days`)."""
    details: dict[str, str | int] = {"resume_on": resume_on.isoformat()}
    return AuditEntry(invoice_id, AuditAction.REMINDERS_RESUMED, at, Actor.SYSTEM, details=details)


def due_date_moved_entry(
    before: InvoiceDunningState, after: InvoiceDunningState, customer_id: str, at: datetime
) -> AuditEntry:
    """The customer moved the due date on the invoice page."""
    return AuditEntry(
        invoice_id=after.invoice_id,
        action=AuditAction.DUE_DATE_MOVED,
        at=at,
        actor=Actor.CUSTOMER,
        actor_id=customer_id,
        details={"from": before.due_date.isoformat(), "to": after.due_date.isoformat()},
    )


def instalment_plan_entry(plan: InstalmentPlan, customer_id: str, at: datetime) -> AuditEntry:
    """The customer split the invoice; details list each instalment as `id amount_minor due_date`."""
    details: dict[str, str | int] = {
        "instalments": len(plan.instalments),
        "currency": plan.invoice.currency,
        "total_minor": sum(i.amount_minor for i in plan.instalments),
    }
    for i in plan.instalments:
        details[f"instalment_{i.number}"] = f"{i.instalment_id} {i.amount_minor} {i.due_date.isoformat()}"
    return AuditEntry(
        invoice_id=plan.invoice.invoice_id,
        action=AuditAction.SPLIT_INTO_INSTALMENTS,
        at=at,
        actor=Actor.CUSTOMER,
        actor_id=customer_id,
        details=details,
    )
