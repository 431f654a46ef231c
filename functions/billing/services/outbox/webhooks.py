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
from urllib.parse import urlsplit

from billing.domain.webhook_signature import headers, new_secret
from billing.services.errors import PermanentError
from billing.services.outbox.ports import Delivery, DeliveryQueue, Endpoint, WebhookEndpoints, WebhookSender
from billing.services.ports import Clock

RETRY_FOR = timedelta(days=3)
FIRST_PAUSE_SECONDS = 30
LONGEST_PAUSE_SECONDS = 900
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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
