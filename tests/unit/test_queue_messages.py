"""Our own SQS bodies read back by the workers (billing.handlers.messages): what a service's
`to_message` wrote comes back equal, and a body that is not ours is a BadEvent naming its field
(the record then fails and waits in the dead-letter queue, never dropped)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from billing.handlers.events import BadEvent
from billing.handlers.messages import InvoiceRequestedMessage, WebhookDeliveryMessage, read_message
from billing.services.billing_run import InvoiceRequested
from billing.services.errors import PermanentError
from billing.services.outbox.webhooks import Delivery

REQUEST = InvoiceRequested("acme", "cust-1", "acme:2026-12-01", date(2026, 12, 1))
DELIVERY = Delivery(
    "acme", "we_1", {"id": "evt_1", "type": "invoice.paid"}, "2026-12-05T10:00:00+00:00", 3, "503"
)


def test_what_the_services_queue_comes_back_equal() -> None:
    assert read_message(InvoiceRequestedMessage, json.dumps(REQUEST.to_message())).request() == REQUEST
    assert read_message(WebhookDeliveryMessage, json.dumps(DELIVERY.to_message())).delivery() == DELIVERY
    first = {k: v for k, v in DELIVERY.to_message().items() if k not in ("attempt", "last_status")}
    assert read_message(WebhookDeliveryMessage, json.dumps(first)).delivery().attempt == 1


def _refused(model: Any, body: Any) -> str:
    with pytest.raises(BadEvent) as caught:
        read_message(model, body if isinstance(body, (str, bytes)) else json.dumps(body))
    return str(caught.value.field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"run_date": "2026-13-01"}, "run_date"),
        ({"run_date": 1764547200}, "run_date"),  # a number is not a day, though lax pydantic reads one
        ({"run_date": None}, "run_date"),
        ({"customer_id": ""}, "customer_id"),
        ({"tenant_id": ["acme"]}, "tenant_id"),
        ({"type": "InvoiceIssued"}, "type"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_request_that_is_not_ours_names_its_field(change: dict[str, Any], field: str) -> None:
    assert _refused(InvoiceRequestedMessage, {**REQUEST.to_message(), **change}) == field


def test_a_missing_key_and_bytes_that_are_not_json_are_refused() -> None:
    message = REQUEST.to_message()
    del message["run_id"]
    assert _refused(InvoiceRequestedMessage, message) == "run_id"
    assert _refused(InvoiceRequestedMessage, b"\xff\xfe not json") == "body"
    assert _refused(InvoiceRequestedMessage, "[1, 2]") == "body"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_attempt_at": "2026-12-05T10:00:00"}, "first_attempt_at"),  # no offset: whose three days?
        ({"first_attempt_at": "yesterday"}, "first_attempt_at"),
        ({"attempt": 0}, "attempt"),
        ({"attempt": "2"}, "attempt"),
        ({"event": {"type": "invoice.paid"}}, "event"),
        ({"event": "evt_1"}, "event"),
        ({"endpoint_id": None}, "endpoint_id"),
    ],
)
def test_a_delivery_that_is_not_ours_names_its_field(change: dict[str, Any], field: str) -> None:
    assert _refused(WebhookDeliveryMessage, {**DELIVERY.to_message(), **change}) == field


def test_a_delivery_missing_its_keys_is_a_permanent_error() -> None:
    # (what Delivery.from_message refused before the model: the record is not retried as if transient)
    with pytest.raises(PermanentError):
        read_message(WebhookDeliveryMessage, json.dumps({"tenant_id": "t1"}))


def test_bodies_nested_too_deep_or_far_too_large_are_refused_not_crashed() -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    first = DELIVERY.to_message()["first_attempt_at"]
    nested = f'{{"tenant_id":"t","endpoint_id":"e","first_attempt_at":"{first}","event":{deep}}}'
    assert _refused(WebhookDeliveryMessage, nested) == "body"
    assert _refused(InvoiceRequestedMessage, deep) == "body"
    assert _refused(InvoiceRequestedMessage, b"\xff" * 300_000) == "body"
