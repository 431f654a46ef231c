"""Entries of an invoice's audit trail for every dunning step: what happened, when, by whom, details.

The caller stores each entry beside the invoice; these builders keep the wording of the trail the
same wherever a step is taken (the daily job, the invoice page, the operator's export).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from billing.domain.dunning.errors import DunningError


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
