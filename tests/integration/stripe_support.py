"""Shared by the Stripe integration tests: the local Stripe stand-in, an invoice to pay, HTTP without
redirects, and signing webhook bodies with the real scheme."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from billing.adapters.stripe_webhook import sign_payload
from billing.services.ports import StoredInvoice
from billing.wiring.core import invoice_ledger
from infra import demo
from infra.local_run import run_billing
from infra.local_stack import ensure_stripe_stand_in
from infra.stripe_fake import DEFAULT_WEBHOOK_SECRET, FakeStripe
from tests.integration.helpers import fetch, invoices_of

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def request(
    url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


@pytest.fixture
def stripe_fake(local_env: Any) -> FakeStripe:
    return ensure_stripe_stand_in(local_env.server.url)  # type: ignore[no-any-return]


@dataclass
class Issued:
    env: Any
    tenant_id: str
    stored: StoredInvoice
    email: str
    fake: FakeStripe

    @property
    def page_url(self) -> str:
        return f"{self.env.server.url}/i/{self.stored.page_token}"

    def refreshed(self) -> StoredInvoice:
        stored = invoice_ledger().get(self.tenant_id, self.stored.invoice_id)
        assert stored is not None
        return stored

    def page(self) -> str:
        status, _, body = fetch(self.page_url)
        assert status == 200
        return body

    def link(self, testid: str) -> str:
        match = re.search(rf'href="([^"]+)"[^>]*data-testid="{testid}"', self.page())
        assert match, f"no {testid} on the page"
        return match.group(1).replace("&amp;", "&")


def issue(env: Any, tenant_id: str, fake: FakeStripe, payments: dict[str, Any] | None = None) -> Issued:
    seeded = demo.seed(1, TODAY, tenant_id, RUN_DATE)
    if payments is not None:
        from billing.adapters.dynamo.stores import DynamoTenantDirectory
        from infra import demo_data

        page = {**demo_data.PAGE_SETTINGS, "payments": payments}
        DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    run_billing(tenant_id, RUN_DATE)
    (item,) = invoices_of(tenant_id)
    stored = invoice_ledger().get(tenant_id, item.invoice_id)
    assert stored is not None
    return Issued(env, tenant_id, stored, seeded["customers"][0].email, fake)


@pytest.fixture
def issued(local_env: Any, tenant_id: str, stripe_fake: FakeStripe) -> Issued:
    """An invoice issued to a tenant that takes card payments, with the Stripe stand-in running."""
    return issue(local_env, tenant_id, stripe_fake)


def complete_checkout(url: str, method: str = "card") -> tuple[int, dict[str, str], str]:
    """What the customer's Pay click on the stand-in's hosted page does."""
    return request(
        url,
        method="POST",
        data=urllib.parse.urlencode({"payment_method_type": method}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def webhook_url(env: Any, tenant_id: str) -> str:
    return f"{env.server.url}/v1/webhooks/stripe/{tenant_id}"


def post_event(
    env: Any,
    tenant_id: str,
    event: dict[str, Any],
    *,
    secret: str = DEFAULT_WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> tuple[int, str]:
    """Deliver `event` as Stripe does: the raw JSON body, signed with the endpoint secret."""
    payload = json.dumps(event)
    header = sign_payload(payload, secret, int(time.time()) if timestamp is None else timestamp)
    status, _, body = request(
        webhook_url(env, tenant_id),
        method="POST",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    return status, body


def event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def payment_intent(
    stored: StoredInvoice, amount: int, *, status: str = "succeeded", pid: str | None = None
) -> dict[str, Any]:
    return {
        "id": pid or f"pi_{uuid.uuid4().hex[:24]}",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": stored.invoice.currency.lower(),
        "customer": None,
        "payment_method": "pm_card_visa",
        "status": status,
        "last_payment_error": None
        if status != "requires_payment_method"
        else {"code": "card_declined", "decline_code": "generic_decline"},
        "metadata": {"invoice_id": stored.invoice_id, "tenant_id": stored.tenant_id},
    }


def processor_stops_after_its_commits(monkeypatch: Any, *, then: str = "acknowledge") -> list[str]:
    """The Stripe event processor dies right after each commit, before it drives what follows: with
    `then="acknowledge"` its message is gone anyway (what follows is left to the outbox's stream and
    sweep alone); with `then="redeliver"` it fails once, as a process that died does, and the queue
    delivers the event again. Returns the streams it left, one per drive skipped."""
    from billing.services.errors import RetryableError
    from billing.services.outbox import DriveOutbox
    from infra import local_iam

    original = DriveOutbox.stream
    left: list[str] = []

    def stream(self: DriveOutbox, tenant_id: str, name: str) -> int:
        if local_iam.CURRENT.get() != "ProcessStripeEventsFunction" or (then == "redeliver" and left):
            return original(self, tenant_id, name)
        left.append(name)
        if then == "redeliver":
            raise RetryableError("the processor died after its commit")
        return 0

    monkeypatch.setattr(DriveOutbox, "stream", stream)
    return left
