"""Signed webhooks: our Standard Webhooks signature against an independent implementation (the
`standardwebhooks` package), the receiver's refusals, endpoint filters, and the three days of backoff
before the dead-letter queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from billing.domain.webhook_signature import SignatureError, headers, new_secret, sign, verify
from billing.services.errors import PermanentError
from billing.services.outbox.webhooks import (
    DeliverWebhook,
    Delivery,
    Endpoint,
    ManageEndpoints,
    check_url,
    pause_before,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BODY = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"amount_due": 0}}).encode()


def test_our_signature_verifies_with_the_reference_implementation_and_back() -> None:
    secret = new_secret()
    now = int(datetime.now(UTC).timestamp())
    ours = headers(secret, "evt_1", now, BODY)
    # The reference implementation accepts ours
    assert Webhook(secret).verify(BODY, ours) == json.loads(BODY)
    # and we accept the reference implementation's signature of the same message
    theirs = Webhook(secret).sign("evt_1", datetime.fromtimestamp(now, UTC), BODY.decode())
    assert theirs == ours["webhook-signature"]
    verify(secret, "evt_1", str(now), f"v1,bogus {theirs}", BODY, now)  # one of several signatures


@pytest.mark.parametrize(
    "change",
    [
        {"body": BODY.replace(b"invoice.paid", b"invoice.void")},  # tampered body
        {"msg_id": "evt_2"},  # another id: a de-duplicated replay cannot be passed off as new
        {"secret": new_secret()},  # another endpoint's secret
        {"sent": -301},  # older than five minutes: a replay
        {"sent": +301},  # from the future
    ],
)
def test_a_changed_or_replayed_delivery_is_refused_by_both_implementations(change: dict[str, Any]) -> None:
    secret = new_secret()
    now = int(datetime.now(UTC).timestamp())
    signed = headers(secret, "evt_1", now + change.get("sent", 0), BODY)
    body = change.get("body", BODY)
    msg_id = change.get("msg_id", "evt_1")
    check_with = change.get("secret", secret)
    received = {**signed, "webhook-id": msg_id}
    with pytest.raises(SignatureError):
        verify(check_with, msg_id, received["webhook-timestamp"], received["webhook-signature"], body, now)
    with pytest.raises(WebhookVerificationError):
        Webhook(check_with).verify(body, received)


def test_a_secret_is_the_schemes_and_random() -> None:
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_") and one != two
    with pytest.raises(SignatureError):
        sign("not-a-secret", "evt_1", 1, BODY)


def test_endpoints_take_the_event_types_they_ask_for() -> None:
    every = Endpoint("t1", "we_1", "https://a.example/h", new_secret())
    paid = Endpoint("t1", "we_2", "https://b.example/h", new_secret(), ("invoice.paid",))
    payments = Endpoint("t1", "we_3", "https://c.example/h", new_secret(), ("payment.*",))
    off = Endpoint("t1", "we_4", "https://d.example/h", new_secret(), enabled=False)
    event = {"id": "evt_1", "type": "invoice.paid"}
    assert [d.endpoint_id for d in Delivery.for_endpoints([every, paid, payments, off], event, T0)] == [
        "we_1",
        "we_2",
    ]
    refund = {"id": "evt_2", "type": "payment.refunded"}
    assert [d.endpoint_id for d in Delivery.for_endpoints([every, paid, payments, off], refund, T0)] == [
        "we_1",
        "we_3",
    ]


@pytest.mark.parametrize(
    "url", ["http://shop.example/hook", "ftp://x/y", "https:///nohost", "file:///etc/passwd", "javascript:x"]
)
def test_an_endpoint_must_be_https(url: str) -> None:
    with pytest.raises(PermanentError) as caught:
        check_url(url)
    assert caught.value.field == "url"


def test_a_local_receiver_may_be_plain_http() -> None:
    assert check_url("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"


class _Endpoints:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Endpoint] = {}

    def list(self, tenant_id: str) -> list[Endpoint]:
        return [e for (t, _), e in self.items.items() if t == tenant_id]

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        return self.items.get((tenant_id, endpoint_id))

    def put(self, endpoint: Endpoint) -> None:
        self.items[(endpoint.tenant_id, endpoint.endpoint_id)] = endpoint

    def remove(self, tenant_id: str, endpoint_id: str) -> bool:
        return self.items.pop((tenant_id, endpoint_id), None) is not None


class _Queue:
    def __init__(self) -> None:
        self.sent: list[tuple[Delivery, int]] = []
        self.dead: list[Delivery] = []

    def send(self, delivery: Delivery, delay_seconds: int = 0) -> None:
        self.sent.append((delivery, delay_seconds))

    def dead_letter(self, delivery: Delivery) -> None:
        self.dead.append(delivery)


class _Down:
    """An endpoint that answers 503 and records what it was sent."""

    def __init__(self, status: int = 503) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, str], bytes]] = []

    def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        self.posts.append((url, headers, body))
        return self.status


class _Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


def test_a_failing_endpoint_is_retried_with_backoff_for_three_days_then_dead_lettered() -> None:
    endpoints, queue, sender, clock = _Endpoints(), _Queue(), _Down(), _Clock()
    endpoint = ManageEndpoints(endpoints).add("t1", "https://shop.example/hook", ("*",))
    deliver = DeliverWebhook(endpoints=endpoints, sender=sender, queue=queue, clock=clock)
    delivery = Delivery("t1", endpoint.endpoint_id, {"id": "evt_1", "type": "invoice.paid"}, T0.isoformat())
    outcomes = []
    while True:
        outcome = deliver(delivery)
        outcomes.append(outcome)
        if outcome != "retrying":
            break
        delivery, delay = queue.sent[-1]
        clock.at += timedelta(seconds=delay)
    # Pauses double from 30 s up to SQS's longest delay, 15 minutes
    delays = [d for _, d in queue.sent]
    assert delays[:6] == [30, 60, 120, 240, 480, 900] and set(delays[6:]) == {900}
    # Retried until three days after the first attempt, then dead-lettered, once
    assert outcomes[-1] == "dead_lettered" and len(queue.dead) == 1
    assert timedelta(days=3) - timedelta(minutes=15) <= clock.at - T0 <= timedelta(days=3)
    # Every attempt carries the same id (the receiver's de-duplication key), freshly signed
    ids = {h["webhook-id"] for _, h, _ in sender.posts}
    assert ids == {"evt_1"} and len(sender.posts) == len(outcomes)
    assert pause_before(1) == 30 and pause_before(50) == 900


def test_a_delivery_to_a_removed_endpoint_is_dropped_and_2xx_is_done() -> None:
    endpoints, queue, clock = _Endpoints(), _Queue(), _Clock()
    manage = ManageEndpoints(endpoints)
    endpoint = manage.add("t1", "https://shop.example/hook")
    ok = DeliverWebhook(endpoints=endpoints, sender=_Down(204), queue=queue, clock=clock)
    delivery = Delivery("t1", endpoint.endpoint_id, {"id": "evt_1", "type": "x"}, T0.isoformat())
    assert ok(delivery) == "delivered" and queue.sent == []
    assert manage.remove("t1", endpoint.endpoint_id)
    assert ok(delivery) == "dropped"
    with pytest.raises(PermanentError) as caught:
        manage.add("t1", "https://shop.example/hook", ())
    assert caught.value.field == "event_types"
