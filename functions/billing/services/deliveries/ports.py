"""Ports of delivery tracking and the engagement counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    tenant_id: str
    invoice_id: str
    kind: str  # invoice | reminder
    step: int | None = None  # the reminder's step


@dataclass(frozen=True)
class UndeliveredEmail:
    tenant_id: str
    invoice_id: str
    kind: str
    reason: str
    at: datetime
    message_id: str


class DeliveryLog(Protocol):
    def sent(self, email: SentEmail, at: datetime) -> None:
        """Remember which invoice the message was (idempotent: the same message id, the same item)."""
        ...

    def lookup(self, message_id: str) -> SentEmail | None: ...

    def record_undelivered(self, email: UndeliveredEmail) -> bool:
        """Keep it for the merchant's report; False when this message was recorded already."""
        ...

    def undelivered(self, tenant_id: str, since: datetime, until: datetime) -> Iterator[UndeliveredEmail]: ...


class InvoiceDeliveries(Protocol):
    def mark_undelivered(self, email: UndeliveredEmail) -> bool:
        """Mark on the invoice that its email (the invoice's own, or the reminder with this message id)
        did not arrive; False when it was marked already."""
        ...


class EngagementCounts(Protocol):
    def add(self, tenant_id: str, month: str, name: str, value: int = 1) -> None:
        """Add to the tenant's count `name` for `month` (YYYY-MM)."""
        ...

    def month_counts(self, tenant_id: str, first: str, last: str) -> dict[tuple[str, str], int]:
        """(month, name) -> count for months first..last (YYYY-MM)."""
        ...


class DeliveryEvents(Protocol):
    def undelivered(self, email: UndeliveredEmail) -> None:
        """The hook the merchant-events outbox implements (issue 16): `EmailUndelivered` happened."""
        ...
