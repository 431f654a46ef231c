"""`GET /v1/questions?status=open` and `billing question list --tenant T` over the local stack: the
tenant's unanswered questions across invoices, each with its invoice and customer, newest or oldest
first, a page at a time; answering takes a question off the list; another tenant sees none of them."""

from __future__ import annotations

import json

import pytest

from billing.cli import main as billing
from infra.local_run import run_billing
from tests.integration.merchant.support import call, merchant
from tests.integration.merchant.test_subscriptions_api import LAST_MONTH, _customer
from tests.integration.test_invoice_page_api import _post

pytestmark = pytest.mark.integration


def _ask(url: str, page_url: str, text: str) -> None:
    token = page_url.rsplit("/", 1)[1]
    status, _, body = _post(f"{url}/v1/pages/{token}/questions", {"text": text, "line_id": ""})
    assert status == 303, body


def test_the_tenants_open_questions_are_listed_paged_and_answered_off_the_list(local_env, tenant_id, capsys):
    url, shop = local_env.server.url, merchant(tenant_id)
    customers = [_customer(url, shop, i, "bas") for i in (1, 2)]
    run_billing(shop.tenant_id, LAST_MONTH)
    invoices = {
        c: call(url, "GET", f"/v1/customers/{c}/invoices", shop.key).body["data"][0] for c in customers
    }
    # Given three questions on two invoices, asked in this order
    asked = [
        (customers[0], "Varför så dyrt?"),
        (customers[1], "Vad är rad 2?"),
        (customers[0], "Kan jag byta plan?"),
    ]
    for customer, text in asked:
        _ask(url, invoices[customer]["page_url"], text)

    # When the merchant lists them newest first, two at a time
    first = call(url, "GET", "/v1/questions?status=open&limit=2", shop.key)
    assert first.status == 200, first.body
    assert [q["text"] for q in first.body["data"]] == ["Kan jag byta plan?", "Vad är rad 2?"]
    assert first.body["next_cursor"]
    second = call(url, "GET", f"/v1/questions?limit=2&cursor={first.body['next_cursor']}", shop.key)
    assert [q["text"] for q in second.body["data"]] == ["Varför så dyrt?"]
    assert second.body["next_cursor"] is None
    # Then each comes with its invoice and customer
    newest = first.body["data"][0]
    assert newest["customer_id"] == customers[0] and newest["invoice_id"] == invoices[customers[0]]["id"]
    assert newest["invoice_number"] == invoices[customers[0]]["number"]
    assert newest["page_url"] == invoices[customers[0]]["page_url"] and newest["customer_name"]
    # Oldest first is the queue order, also paged
    oldest = call(url, "GET", "/v1/questions?order=oldest&limit=1", shop.key)
    assert [q["text"] for q in oldest.body["data"]] == ["Varför så dyrt?"]
    rest = call(url, "GET", f"/v1/questions?order=oldest&cursor={oldest.body['next_cursor']}", shop.key)
    assert [q["text"] for q in rest.body["data"]] == ["Vad är rad 2?", "Kan jag byta plan?"]

    # Mistakes name their field
    for query, field in (
        ("status=answered", "status"),
        ("order=random", "order"),
        ("limit=0", "limit"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ):
        refused = call(url, "GET", f"/v1/questions?{query}", shop.key)
        assert refused.status == 400, (query, refused.body)
        fields = {refused.body.get("field")} | {e.get("field") for e in refused.body.get("errors", [])}
        assert any(field in (f or "") for f in fields), (query, refused.body)

    # When one is answered, it leaves the list (answering resumes reminders: test_questions_api)
    path = f"/v1/invoices/{newest['invoice_id']}/questions/{newest['question_id']}/answer"
    assert call(url, "POST", path, shop.key, {"text": "Ja, på sidan."}, idempotency_key="a").status == 200
    left = call(url, "GET", "/v1/questions", shop.key).body["data"]
    assert [q["text"] for q in left] == ["Vad är rad 2?", "Varför så dyrt?"]

    # The CLI lists the same through the same use case
    capsys.readouterr()
    assert billing(["question", "list", "--tenant", shop.tenant_id, "--order", "oldest"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [q["text"] for q in printed] == ["Varför så dyrt?", "Vad är rad 2?"]
    assert billing(["question", "list", "--tenant", shop.tenant_id, "--cursor", "junk"]) == 2
    assert "cursor" in capsys.readouterr().err

    # Another tenant's key lists only its own (none), whatever cursor it replays
    other = merchant(tenant_id + "-b")
    assert call(url, "GET", "/v1/questions", other.key).body == {
        "object": "list",
        "data": [],
        "next_cursor": None,
    }
    replay = call(url, "GET", f"/v1/questions?cursor={first.body['next_cursor']}", other.key)
    assert replay.status == 200 and replay.body["data"] == []
