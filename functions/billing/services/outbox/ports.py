"""Ports of the outbox: where events wait (OutboxStore), the money audit trail (MoneyAudit), a reminder's
email (ReminderEmails), and the way out to the merchant (MerchantEvents)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from billing.domain.audit_trail import MoneyEntry
from billing.domain.outbox import OutboxEvent
from billing.services.ports import StoredInvoice


class OutboxStore(Protocol):
    def pending(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        """The stream's events that still have effects to do, by sequence (consistent read)."""
        ...

    def events(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        """Every event of the stream, by sequence (what `billing events list` shows)."""
        ...

    def mark_done(self, event: OutboxEvent, effect: str, *, last: bool) -> None:
        """Record that `effect` succeeded; `last`: it was the event's last one (it leaves the sweep)."""
        ...

    def claim(self, event: OutboxEvent, effect: str, now: datetime) -> bool:
        """Claim an effect that cannot be repeated (an email) before doing it: False when another
        attempt holds the claim (a claim older than 15 minutes belongs to an attempt that died) or
        has done it."""
        ...

    def release(self, event: OutboxEvent, effect: str) -> None: ...

    def credit_balance_once(self, event: OutboxEvent, customer_id: str, amount: int, *, last: bool) -> bool:
        """Add `amount` to the customer's balance and mark the event's balance effect done, in one
        transaction: False when it was done already."""
        ...

    def pending_streams(self, older_than: datetime, limit: int = 500) -> list[tuple[str, str]]:
        """(tenant, stream) of events with effects still to do, written before `older_than` (the
        sweep's list: what the stream's own trigger did not finish)."""
        ...


class MoneyAudit(Protocol):
    def record(self, entry: MoneyEntry) -> bool:
        """Put the entry unless one with its key exists (append-only): False when it was there."""
        ...

    def for_invoice(self, tenant_id: str, invoice_id: str) -> list[MoneyEntry]: ...

    def for_customer(self, tenant_id: str, customer_id: str) -> list[MoneyEntry]: ...


class ReminderEmails(Protocol):
    """A reminder step's email (the `reminder` effect of a reminder.sent event)."""

    def send(self, event: OutboxEvent, stored: StoredInvoice) -> str | None:
        """Render and send the email of the step the event names; the message id, if any."""
        ...

    def record_sent(self, event: OutboxEvent, message_id: str | None) -> None:
        """Record that it went out (the step's status, the message id SES's bounce will name).
        Idempotent: the driver repeats it in place when it fails."""
        ...


class MerchantEvents(Protocol):
    def publish(self, event: OutboxEvent) -> None:
        """Put the event on the merchant's bus and queue a delivery to each of the tenant's webhook
        endpoints that wants its type. At least once: receivers de-duplicate by the event id."""
        ...


JsonDict = dict[str, Any]
