"""Ports of the outbox: where events wait (OutboxStore), the money audit trail (MoneyAudit), a reminder's
email (ReminderEmails), and the way out to the merchant (MerchantEvents); with the webhook endpoints,
their delivery queue and sender, and the records that cross them (Endpoint, Delivery)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Endpoint:
    tenant_id: str
    endpoint_id: str
    url: str
    secret: str
    event_types: tuple[str, ...] = ("*",)
    enabled: bool = True

    def wants(self, event_type: str) -> bool:
        if not self.enabled:
            return False
        for wanted in self.event_types:
            if wanted == "*" or wanted == event_type:
                return True
            if wanted.endswith(".*") and event_type.startswith(wanted[:-1]):
                return True
        return False


@dataclass(frozen=True)
class Delivery:
    """One queued delivery of one event to one endpoint (the queue message, read back by
    billing.handlers.messages)."""

    tenant_id: str
    endpoint_id: str
    event: dict[str, Any]  # the event's envelope (billing.domain.outbox.OutboxEvent.envelope)
    first_attempt_at: str  # ISO: the three days count from here
    attempt: int = 1
    last_status: str | None = None

    def to_message(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "endpoint_id": self.endpoint_id,
            "event": self.event,
            "first_attempt_at": self.first_attempt_at,
            "attempt": self.attempt,
            "last_status": self.last_status,
        }

    @classmethod
    def for_endpoints(cls, endpoints: list[Endpoint], event: dict[str, Any], now: datetime) -> list[Delivery]:
        """One delivery per endpoint that wants this event's type."""
        return [
            cls(e.tenant_id, e.endpoint_id, event, now.isoformat())
            for e in endpoints
            if e.wants(str(event["type"]))
        ]


class WebhookEndpoints(Protocol):
    def list(self, tenant_id: str) -> list[Endpoint]: ...

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None: ...

    def put(self, endpoint: Endpoint) -> None: ...

    def remove(self, tenant_id: str, endpoint_id: str) -> bool: ...


class WebhookSender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST and return the HTTP status (0: no answer: refused, timed out)."""
        ...


class DeliveryQueue(Protocol):
    def send(self, delivery: Delivery, delay_seconds: int = 0) -> None: ...

    def dead_letter(self, delivery: Delivery) -> None: ...


JsonDict = dict[str, Any]
