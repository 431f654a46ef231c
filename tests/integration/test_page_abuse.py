"""Anyone with a link, as an attacker: filling an invoice with questions and offer clicks, flooding
support, silencing the reminders. On the local stack (issue 20): the invoice item never grows, the
invoice stays payable by a signed Stripe webhook, support gets one digest, and one broken invoice does
not stop the tenant's reminder run for everyone else."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from datetime import timedelta
from typing import Any

import pytest

from billing.adapters.dynamo.models import InvoiceModel, PageActivityModel
from billing.services.ports import DEFAULT_PAGE_LIMITS
from billing.wiring.core import invoice_ledger
from tests.integration import dunning_support, stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import event, payment_intent, post_event, request

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture

SUPPORT = "kundservice@example.com"


def _size(value: dict[str, Any]) -> int:
    """DynamoDB's item-size rule for one attribute value (names and values in UTF-8 bytes)."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "B":  # the invoice document, compressed
        return len(raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _size(v) for k, v in raw.items())
    if kind == "L":
        return 3 + sum(1 + _size(v) for v in raw)
    return len(json.dumps(raw).encode())


def _item_bytes(tenant_id: str, invoice_id: str) -> int:
    """The invoice item's stored size as DynamoDB counts it toward its 400 KB limit."""
    raw = InvoiceModel._get_connection().get_item(tenant_id, invoice_id, consistent_read=True)
    return sum(len(name.encode()) + _size(value) for name, value in raw["Item"].items())


def _asked(base: str, token: str, text: str) -> tuple[int, str]:
    status, _, body = request(
        f"{base}/v1/pages/{token}/questions",
        method="POST",
        data=urllib.parse.urlencode({"text": text}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    return status, body


def _ask(base: str, token: str, text: str) -> int:
    return _asked(base, token, text)[0]


def _settled_by_stripe(issued: stripe_support.Issued) -> bool:
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    status, _ = post_event(issued.env, issued.tenant_id, evt)
    assert status == 200
    for _ in range(50):  # the webhook may settle through a queue: look until it has
        if issued.refreshed().status == "paid":
            return True
        time.sleep(0.1)
    return False


def test_194_distinct_long_questions_cannot_fill_the_invoice_and_it_stays_payable(
    local_env, tenant_id, stripe_fake
):
    # Given an issued invoice, and support's mailbox as it was
    issued = stripe_support.issue(local_env, tenant_id, stripe_fake)
    base, token = local_env.server.url, issued.stored.page_token
    size_before = _item_bytes(tenant_id, issued.stored.invoice_id)
    support_before = len(emails_to(local_env.moto_url, SUPPORT))
    # When an attacker posts 194 distinct 2,000-character questions through the link
    statuses = [_ask(base, token, (f"{n:04d}" + "x" * 2000)[:2000]) for n in range(194)]
    # Then the day's limit took the first ones and refused the rest with 429, never a 5xx
    per_day = DEFAULT_PAGE_LIMITS.questions_per_day
    assert statuses[:per_day] == [200] * per_day
    assert set(statuses[per_day:]) == {429}
    # And the refusal names the day's limit, not the invoice's: each question carries its
    # question.asked event, whose put DynamoDB lists before the counters (conditions.codes_as_added)
    status, body = _asked(base, token, "one more")
    assert status == 429 and "questions a day" in json.loads(body)["error"]
    # And the questions live in their own items: the invoice item grew by a few counters only
    grown = _item_bytes(tenant_id, issued.stored.invoice_id) - size_before
    assert grown < 400, grown
    stored = issued.refreshed()
    assert stored.question_open and len(stored.questions) == per_day
    # And support got one digest for the round (sent with its first question), not one per question
    support = emails_to(local_env.moto_url, SUPPORT)[support_before:]
    assert len(support) == 1 and "1 open question(s)" in support[0]["body"]
    # And the page still shows the questions
    _, _, html = stripe_support.fetch(issued.page_url)
    assert "0000xxxx" in html
    # And a valid Stripe payment still settles the invoice
    assert _settled_by_stripe(issued)


def test_thousands_of_offer_clicks_cannot_grow_the_invoice(local_env, tenant_id, stripe_fake):
    # Given an issued invoice whose tenant shows an offer
    issued = stripe_support.issue(local_env, tenant_id, stripe_fake)
    url = f"{local_env.server.url}/v1/pages/{issued.stored.page_token}/offers/plus-upgrade"
    size_before = _item_bytes(tenant_id, issued.stored.invoice_id)
    limit = DEFAULT_PAGE_LIMITS.offer_clicks_per_day
    # When the offer link is requested many times over (the day's limit and then some)
    statuses = [request(url)[0] for _ in range(limit + 150)]
    # Then the first ones lead to the offer, the rest are refused with 429, never a 5xx
    assert statuses[:limit] == [302] * limit and set(statuses[limit:]) == {429}
    # And the invoice item is exactly as large as before: clicks are one counter in another item
    assert _item_bytes(tenant_id, issued.stored.invoice_id) == size_before
    key = f"{tenant_id}#{issued.stored.invoice_id}"
    assert PageActivityModel.get(key, "click#plus-upgrade", consistent_read=True).click_count == limit
    # And the invoice is still payable
    assert _settled_by_stripe(issued)


def test_questions_pause_reminders_at_most_the_policys_maximum(local_env):
    # Given an overdue invoice whose customer asks on its due date, and again after every answer
    issued = dunning_support.issue(local_env)
    ledger = invoice_ledger()
    due = issued.due

    def ask(day_offset: int, n: int) -> None:
        at = f"{(due + timedelta(days=day_offset)).isoformat()}T10:00:00+00:00"
        text = f"Question {n}"
        qid = hashlib.sha256(text.encode()).hexdigest()[:16]
        assert ledger.add_question(
            issued.tenant_id, issued.invoice_id, {"question_id": qid, "asked_at": at, "text": text}
        )

    ask(0, 1)
    # When the daily job runs while the question is open, before the maximum pause (14 days)
    assert dunning_support.run_dunning(issued.tenant_id, due + timedelta(days=5))["reminders_sent"] == 0
    ask(6, 2)
    assert dunning_support.run_dunning(issued.tenant_id, due + timedelta(days=13))["reminders_sent"] == 0
    # Then from the 14th day after the first question the reminder goes out, though a question is open
    result = dunning_support.run_dunning(issued.tenant_id, due + timedelta(days=14))
    assert result["reminders_sent"] == 1 and issued.stored.question_open
    assert "reminders_resumed" in issued.actions()


def test_one_broken_invoice_does_not_stop_the_reminder_run_for_everyone_else(local_env):
    # Given a tenant with three overdue invoices, one of which DynamoDB can no longer write to (an
    # item near 400 KB, as the old unbounded question list could make one)
    issued = dunning_support.issue(local_env)
    tenant_id = issued.tenant_id
    from infra import demo
    from infra.local_run import run_billing

    demo.seed(3, dunning_support.TODAY, tenant_id, dunning_support.RUN_DATE)
    run_billing(tenant_id, dunning_support.RUN_DATE)
    items = list(InvoiceModel.query(tenant_id, consistent_read=True))
    assert len(items) >= 3
    broken = items[0]
    room = 400 * 1024 - _item_bytes(tenant_id, broken.invoice_id) - 250  # a few hundred bytes short
    legacy: list[dict[str, Any]] = [
        {"question_id": "0" * 16, "asked_at": "2020-01-01T00:00:00+00:00", "text": "x" * room,
         "line_id": None, "answered_at": "2020-01-02T00:00:00+00:00", "answer": "y"}
    ]  # fmt: skip
    broken.update(actions=[InvoiceModel.questions.set(legacy)])
    due = max(date_of(i.due_date) for i in items)
    # When the daily job runs on everyone's first reminder day
    result = dunning_support.run_dunning(tenant_id, due + timedelta(days=5))
    # Then every other invoice was reminded, and the broken one is named in the run's summary
    assert result["checked"] == len(items)
    assert result["reminders_sent"] == len(items) - 1
    assert len(result["failed"]) == 1 and result["failed"][0].startswith(broken.invoice_id)
    assert "ItemTooLarge" in result["failed"][0]


def date_of(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)
