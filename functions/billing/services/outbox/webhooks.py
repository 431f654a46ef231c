"""Webhook endpoints per tenant, and delivering one event to one endpoint, signed, with backoff.

A merchant registers endpoints (`billing events endpoints add`): a URL, the event types it wants
(`*`: all) and a secret it verifies the Standard Webhooks signature with. The outbox's merchant effect
queues one delivery per endpoint that wants the event (billing.adapters.merchant_events);
`DeliverWebhook` makes one attempt: 2xx is done; anything else is tried again after a growing pause
(30 s doubling, at most 15 minutes: SQS's longest delay) until three days after the first attempt,
then the delivery goes to the dead-letter queue, where an operator sees it and can replay the event.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from billing.domain.webhook_signature import headers, new_secret
from billing.services.errors import PermanentError
from billing.services.ports import Clock

RETRY_FOR = timedelta(days=3)
FIRST_PAUSE_SECONDS = 30
LONGEST_PAUSE_SECONDS = 900
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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
    """One queued delivery of one event to one endpoint (the queue message)."""

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
    def from_message(cls, body: dict[str, Any]) -> Delivery:
        try:
            return cls(
                tenant_id=str(body["tenant_id"]),
                endpoint_id=str(body["endpoint_id"]),
                event=dict(body["event"]),
                first_attempt_at=str(body["first_attempt_at"]),
                attempt=int(body.get("attempt", 1)),
                last_status=body.get("last_status"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise PermanentError(f"not a webhook delivery: {err}", field="body") from None


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


def check_url(url: str) -> str:
    """An endpoint is https (plain http only to this machine, for a local receiver)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return url
    raise PermanentError("must be an https URL", field="url")


def pause_before(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: 30, 60, 120, ... at most 900."""
    return int(min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** max(0, attempt - 1)))


class ManageEndpoints:
    def __init__(self, endpoints: WebhookEndpoints) -> None:
        self.endpoints = endpoints

    def add(self, tenant_id: str, url: str, event_types: tuple[str, ...] = ("*",)) -> Endpoint:
        if not event_types or not all(isinstance(t, str) and t for t in event_types):
            raise PermanentError("name at least one event type, or *", field="event_types")
        endpoint = Endpoint(
            tenant_id=tenant_id,
            endpoint_id="we_" + secrets.token_hex(8),
            url=check_url(url),
            secret=new_secret(),
            event_types=tuple(event_types),
        )
        self.endpoints.put(endpoint)
        return endpoint

    def list(self, tenant_id: str) -> list[Endpoint]:
        return self.endpoints.list(tenant_id)

    def remove(self, tenant_id: str, endpoint_id: str) -> bool:
        return self.endpoints.remove(tenant_id, endpoint_id)


@dataclass(kw_only=True, eq=False)
class DeliverWebhook:
    endpoints: WebhookEndpoints
    sender: WebhookSender
    queue: DeliveryQueue
    clock: Clock

    def __call__(self, delivery: Delivery) -> str:
        """One attempt. Returns delivered | retrying | dead_lettered | dropped (endpoint gone)."""
        endpoint = self.endpoints.get(delivery.tenant_id, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return "dropped"
        now = self.clock.now()
        body = json.dumps(delivery.event, sort_keys=True, separators=(",", ":")).encode()
        signed = headers(endpoint.secret, str(delivery.event["id"]), int(now.timestamp()), body)
        status = self.sender.post(endpoint.url, signed, body)
        if 200 <= status < 300:
            return "delivered"
        failed = Delivery(
            tenant_id=delivery.tenant_id,
            endpoint_id=delivery.endpoint_id,
            event=delivery.event,
            first_attempt_at=delivery.first_attempt_at,
            attempt=delivery.attempt + 1,
            last_status=str(status),
        )
        pause = pause_before(delivery.attempt)
        first = datetime.fromisoformat(delivery.first_attempt_at)
        if now + timedelta(seconds=pause) - first > RETRY_FOR:
            self.queue.dead_letter(failed)
            return "dead_lettered"
        self.queue.send(failed, delay_seconds=pause)
        return "retrying"


def deliveries_for(endpoints: list[Endpoint], event: dict[str, Any], now: datetime) -> list[Delivery]:
    """One delivery per endpoint that wants this event's type."""
    return [
        Delivery(e.tenant_id, e.endpoint_id, event, now.isoformat())
        for e in endpoints
        if e.wants(str(event["type"]))
    ]
