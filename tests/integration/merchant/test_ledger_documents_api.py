"""One-off invoices and credit notes over HTTP on the local stack: `POST /v1/customers/{id}/invoices`,
`POST|GET /v1/invoices/{id}/credit_notes`, `GET /v1/credit_notes/{id}`.

Each is numbered in its series (one-off invoices in the invoice series, credit notes in their own),
gets its page, PDF and email; previews write nothing; a retry with the same Idempotency-Key answers the
same and has one effect; credit never exceeds what is left; an unpaid invoice owes less, a paid one's
credit goes to the customer's balance and the next invoice uses it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from billing.adapters.dynamo.ledger_documents import credit_note_counter_id
from billing.adapters.dynamo.models import CounterModel, CustomerModel, InvoiceModel
from tests.integration.dunning_support import pay
from tests.integration.helpers import emails_to, fetch
from tests.integration.merchant.support import call, customer_body, lose_the_next_number, merchant
from tests.integration.merchant.test_subscriptions_api import _customer

pytestmark = pytest.mark.integration

ITEMS: list[dict[str, Any]] = [
    {"description": "Installation", "quantity": "2", "unit": "h", "unit_price": 45000},
    {"description": "Router", "unit_price": 79920, "vat_rate": "25"},
    {"description": "Handbok", "unit_price": 14950, "vat_rate": "6"},
]


@pytest.fixture
def shop(local_env, tenant_id):
    return merchant(tenant_id)


def _documents(tenant_id: str, kind: str) -> list[InvoiceModel]:
    return sorted(
        (i for i in InvoiceModel.query(tenant_id, consistent_read=True) if i.document["kind"] == kind),
        key=lambda i: i.sequence,
    )


def _one_off(url: str, shop, customer: str, key: str, items=ITEMS, query: str = ""):
    return call(
        url,
        "POST",
        f"/v1/customers/{customer}/invoices{query}",
        shop.key,
        {"items": items},
        idempotency_key=key,
    )


def _credit(url: str, shop, invoice_id: str, key: str, body: dict[str, Any], query: str = ""):
    return call(
        url, "POST", f"/v1/invoices/{invoice_id}/credit_notes{query}", shop.key, body, idempotency_key=key
    )


def test_a_one_off_invoice_is_previewed_issued_once_and_delivered(local_env, shop):
    url = local_env.server.url
    customer = _customer(url, shop, 1, "bas")
    preview = _one_off(url, shop, customer, "o-preview", query="?preview=true")
    assert preview.status == 200, preview.body
    invoice = preview.body["invoice"]
    assert preview.body["preview"] is True and invoice["number"] is None and invoice["kind"] == "one_off"
    # VAT per line's rate, exact in öre: 900.00 + 799.20 at 25 %, 149.50 at 6 %
    vat = {v["rate"]: v for v in invoice["document"]["vat"]}
    assert vat["25"]["base"] == 169920 and vat["25"]["vat"] == 42480
    assert vat["6"]["base"] == 14950 and vat["6"]["vat"] == 897
    assert invoice["total"] == 169920 + 42480 + 14950 + 897 + invoice["document"]["rounding"]
    assert _documents(shop.tenant_id, "one_off") == []  # the preview wrote nothing

    issued = _one_off(url, shop, customer, "o-1")
    assert issued.status == 201, issued.body
    assert (
        issued.body["invoice"]["number"] == "NM-000001"
        and issued.body["invoice"]["total"] == invoice["total"]
    )
    again = _one_off(url, shop, customer, "o-1")
    assert again.status == 201 and again.body == issued.body  # the retry: same answer, one effect
    assert len(_documents(shop.tenant_id, "one_off")) == 1
    other_body = _one_off(url, shop, customer, "o-1", items=ITEMS[:1])
    assert other_body.status == 422 and other_body.body["field"] == "Idempotency-Key"
    # Its page, PDF and email, like a run's invoice
    stored = _documents(shop.tenant_id, "one_off")[0]
    assert stored.email_status == "sent" and stored.page_published_at is not None
    status, _, html = fetch(f"{url}/i/{stored.page_token}")
    assert status == 200 and "NM-000001" in html and "Installation" in html
    assert fetch(f"{url}/i/{stored.page_token}.pdf")[0] == 200
    # One email with its link (the session's stack is shared: other tests mail kund1@ too)
    mails = emails_to(local_env.moto_url, "kund1@example.se")
    assert len([m for m in mails if stored.page_token in str(m.get("body"))]) == 1
    # And the merchant reads it like any invoice
    got = call(url, "GET", f"/v1/invoices/{stored.invoice_id}", shop.key)
    assert got.status == 200 and got.body["kind"] == "one_off" and got.body["status"] == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"description": "x"}]}, "items.0.unit_price"),
        ({"items": [{"description": "x", "unit_price": "abc"}]}, "items.0.unit_price"),
        ({"items": [{"description": "x", "unit_price": 100, "vat_rate": "101"}]}, "items.0.vat_rate"),
        ({"items": [{"description": "x", "unit_price": 100, "quantity": "0"}]}, "items.0.quantity"),
        ({"items": [{"description": " ", "unit_price": 100}]}, "items.0.description"),
        ({"items": [{"description": "x", "unit_price": -100}]}, "items"),
        (
            {
                "items": [
                    {
                        "description": "x",
                        "unit_price": 1,
                        "period": {"start": "2026-12-02", "end": "2026-12-01"},
                    }
                ]
            },
            "items.0.period",
        ),
        ({"items": [{"description": "x", "unit_price": 1}], "tenant_id": "t"}, "tenant_id"),
    ],
)
def test_one_off_mistakes_name_their_field(local_env, shop, body, field):
    url = local_env.server.url
    customer = _customer(url, shop, 2, "bas")
    answer = call(url, "POST", f"/v1/customers/{customer}/invoices", shop.key, body, idempotency_key="bad")
    assert answer.status == 400, answer.body
    assert answer.body["field"] == field, answer.body
    assert _documents(shop.tenant_id, "one_off") == []


def test_a_one_off_needs_a_customer_with_a_subscription(local_env, shop):
    url = local_env.server.url
    assert call(url, "POST", "/v1/customers", shop.key, customer_body(3), idempotency_key="c3").status == 201
    for customer in ("c-0003", "c-9999"):
        answer = _one_off(url, shop, customer, f"o-{customer}")
        assert answer.status == 404 and answer.body["field"] == "customer_id", answer.body


def test_credit_notes_by_line_and_whole_never_exceed_the_invoice(local_env, shop):
    url = local_env.server.url
    customer = _customer(url, shop, 4, "bas")
    invoice = _one_off(url, shop, customer, "o-4").body["invoice"]
    invoice_id, total = invoice["id"], invoice["total"]
    path = f"/v1/invoices/{invoice_id}/credit_notes"
    # A preview writes nothing
    by_line = {"lines": [{"line_id": "1", "quantity": "1"}], "reason": "En timme för mycket"}
    preview = _credit(url, shop, invoice_id, "k-preview", by_line, "?preview=true")
    assert preview.status == 200 and preview.body["credit_note"]["number"] is None, preview.body
    assert _documents(shop.tenant_id, "credit_note") == []
    # One hour of the installation: 450.00 + 25 % VAT, in the credit-note series
    first = _credit(url, shop, invoice_id, "k-1", by_line)
    assert first.status == 201, first.body
    note = first.body["credit_note"]
    assert note["number"] == "NM-K000001" and note["invoice_number"] == "NM-000001"
    assert note["document"]["vat"] == [{"rate": "25", "base": -45000, "vat": -11250}]
    # SEK totals are whole kronor (the engine's one rounding rule): -562.50 is credited as -563
    assert note["total"] == -56250 + note["document"]["rounding"] == -56300
    assert note["applied_to_invoice"] == 56300 and note["to_balance"] == 0
    assert first.body["invoice"]["amount_due"] == total - 56300
    assert _credit(url, shop, invoice_id, "k-1", by_line).body == first.body  # the retry
    assert len(_documents(shop.tenant_id, "credit_note")) == 1
    # The same line again for more than is left: refused, naming the field
    twice = _credit(url, shop, invoice_id, "k-2", {"lines": [{"line_id": "1", "quantity": "2"}]})
    assert twice.status == 409 and twice.body["field"] == "lines[0].quantity", twice.body
    too_much = _credit(url, shop, invoice_id, "k-3", {"lines": [{"line_id": "2", "amount": 79921}]})
    assert too_much.status == 409 and too_much.body["field"] == "lines[0].amount", too_much.body
    for body, field in (
        ({"lines": [{"line_id": "9", "amount": 1}]}, "lines[0].line_id"),
        ({"lines": [{"line_id": "1", "amount": 1, "quantity": "1"}]}, "lines.0"),
        ({"lines": [{"line_id": "1", "amount": 0}]}, "lines.0.amount"),
        ({"lines": []}, "lines"),
        ({"lines": [{"line_id": "2", "amount": 1}, {"line_id": "2", "amount": 1}]}, "lines[1].line_id"),
    ):
        bad = _credit(url, shop, invoice_id, f"bad-{field}", body)
        assert bad.status == 400 and bad.body["field"] == field, (body, bad.body)
    # Everything left: the last note takes exactly what is left, rounding included
    rest = _credit(url, shop, invoice_id, "k-4", {})
    assert rest.status == 201, rest.body
    assert rest.body["credit_note"]["number"] == "NM-K000002"
    assert rest.body["invoice"]["amount_due"] == 0 and rest.body["invoice"]["status"] == "credited"
    notes = call(url, "GET", path, shop.key)
    assert notes.status == 200 and [n["number"] for n in notes.body["data"]] == ["NM-K000001", "NM-K000002"]
    assert -sum(n["total"] for n in notes.body["data"]) == total
    # VAT of all notes per rate is exactly the invoice's
    credited_vat: dict[str, int] = {}
    for n in notes.body["data"]:
        for v in n["document"]["vat"]:
            credited_vat[v["rate"]] = credited_vat.get(v["rate"], 0) - v["vat"]
    assert credited_vat == {v["rate"]: v["vat"] for v in invoice["document"]["vat"]}
    nothing = _credit(url, shop, invoice_id, "k-5", {})
    assert nothing.status == 409 and nothing.body["field"] == "lines", nothing.body
    # One note, read; a note is not creditable; an invoice is not a note
    one = call(url, "GET", f"/v1/credit_notes/{note['id']}", shop.key)
    assert one.status == 200 and one.body == notes.body["data"][0]
    assert call(url, "GET", f"/v1/credit_notes/{invoice_id}", shop.key).status == 404
    assert _credit(url, shop, note["id"], "k-6", {}).status == 409
    # Pages: the note says what it credits; the invoice lists its notes and owes nothing
    stored_note = _documents(shop.tenant_id, "credit_note")[0]
    html = fetch(f"{url}/i/{stored_note.page_token}")[2]
    # What was credited, against which invoice, incl. VAT for a consumer (the page's price rules)
    assert "Den krediterar faktura NM-000001" in html and "Kredit: Installation" in html
    assert "Belopp inkl. moms" in html and "Det här krediteras" in html
    assert stored_note.email_status == "sent"
    stored = InvoiceModel.get(shop.tenant_id, invoice_id, consistent_read=True)
    html = fetch(f"{url}/i/{stored.page_token}")[2]
    assert "NM-K000001" in html and "NM-K000002" in html
    assert stored.open_bucket is None and int(stored.amount_due) == 0


def test_a_paid_invoices_credit_goes_to_the_balance_and_the_next_invoice_uses_it(local_env, shop):
    url = local_env.server.url
    customer = _customer(url, shop, 5, "bas")
    invoice = _one_off(url, shop, customer, "o-5").body["invoice"]
    pay(shop.tenant_id, invoice["id"], invoice["total"])
    credited = _credit(url, shop, invoice["id"], "k-5", {"lines": [{"line_id": "3", "amount": 14950}]})
    assert credited.status == 201, credited.body
    note = credited.body["credit_note"]
    # 149.50 + 6 % VAT = 158.47, credited as whole kronor
    assert note["applied_to_invoice"] == 0 and note["to_balance"] == -note["total"] == 15800
    assert credited.body["invoice"]["status"] == "paid" and credited.body["invoice"]["amount_due"] == 0
    assert int(CustomerModel.get(shop.tenant_id, customer).balance) == 15800
    # The next invoice uses the credit, and the balance is spent with it
    following = _one_off(url, shop, customer, "o-6", items=[{"description": "Extra", "unit_price": 100000}])
    document = following.body["invoice"]["document"]
    assert document["balance_applied"] == 15800 and document["amount_due"] == document["total"] - 15800
    assert int(CustomerModel.get(shop.tenant_id, customer).balance) == 0


def test_numbers_stay_gapless_under_concurrent_requests_and_retries(local_env, shop):
    """Twelve one-off invoices and their retries, and eight notes racing for one invoice's credit, at
    once through the use cases (the API's handler keeps per-request state, as one Lambda does)."""
    from billing.services.credit_notes.fields import CreditNoteCreate
    from billing.services.errors import PermanentError
    from billing.services.invoices.fields import OneOffInvoiceCreate
    from billing.wiring import merchant as wiring

    url = local_env.server.url
    customer = _customer(url, shop, 6, "bas")
    body = OneOffInvoiceCreate.model_validate({"items": [{"description": "Timme", "unit_price": 10000}]})
    keys = [f"c-{i % 12}" for i in range(36)]  # each request three times, at once

    def issue(key: str) -> str:
        return str(
            wiring.create_one_off_invoice()(shop.tenant_id, customer, body, request_key=key).invoice.number
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(issue, keys))
    assert len(set(numbers)) == 12
    stored = _documents(shop.tenant_id, "one_off")
    assert sorted(i.number for i in stored) == [f"NM-{n:06d}" for n in range(1, 13)]
    assert int(CounterModel.get(f"{shop.tenant_id}#NM-").value) == 12
    # Eight notes of 30 % each race for one invoice (12 500 öre): three fit, five are refused
    target = stored[0]
    note_body = CreditNoteCreate.model_validate({"lines": [{"line_id": "1", "amount": 3000}]})

    def credit(key: str) -> str:
        try:
            result = wiring.create_credit_note()(
                shop.tenant_id, target.invoice_id, note_body, request_key=key
            )
        except PermanentError as error:
            return f"refused {error.field}"
        return str(result.credit_note.number)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(credit, [f"n-{i % 8}" for i in range(16)]))
    issued = {o for o in outcomes if not o.startswith("refused")}
    assert issued == {"NM-K000001", "NM-K000002", "NM-K000003"}, outcomes
    assert {o for o in outcomes if o.startswith("refused")} <= {"refused lines[0].amount"}
    notes = _documents(shop.tenant_id, "credit_note")
    assert sorted(n.number for n in notes) == ["NM-K000001", "NM-K000002", "NM-K000003"]
    assert int(CounterModel.get(credit_note_counter_id(shop.tenant_id, "NM-")).value) == 3
    after = InvoiceModel.get(shop.tenant_id, target.invoice_id, consistent_read=True)
    # 30.00 + 25 % VAT = 37.50 each, credited as 38 kronor: the invoice owes 125 - 3 x 38
    assert int(after.amount_due) == 12500 + sum(int(n.total) for n in notes) == 12500 - 3 * 3800
    assert json.loads(json.dumps(after.state["credits"]))["credited_total"] == 3 * 3800


def test_a_business_reads_its_credit_note_excl_vat_and_the_cli_does_the_same(
    local_env, shop, capsys, tmp_path
):
    from billing.cli import main as billing_cli

    url = local_env.server.url
    body = customer_body(7, is_business=True, org_number="556703-7485", personal_number=None)
    assert call(url, "POST", "/v1/customers", shop.key, body, idempotency_key="c7").status == 201
    started = call(
        url, "POST", "/v1/customers/c-0007/subscription", shop.key, {"plan": "bas"}, idempotency_key="s7"
    )
    assert started.status == 201, started.body
    # From a shell: the same use cases, --key as the Idempotency-Key
    path = str(tmp_path / "items.json")
    (tmp_path / "items.json").write_text(json.dumps({"items": ITEMS}), encoding="utf-8")
    argv = ["invoice", "create", "--tenant", shop.tenant_id, "--key", "cli-1", "c-0007", path]
    assert billing_cli(argv) == 0
    invoice = json.loads(capsys.readouterr().out)["invoice"]
    assert billing_cli(argv) == 0 and json.loads(capsys.readouterr().out)["invoice"] == invoice  # a retry
    assert invoice["number"] == "NM-000001"
    credit = ["creditnote", "create", "--tenant", shop.tenant_id, "--key", "cli-2", invoice["id"]]
    assert billing_cli([*credit, "--preview"]) == 0
    assert json.loads(capsys.readouterr().out)["credit_note"]["number"] is None
    assert billing_cli(credit) == 0
    note = json.loads(capsys.readouterr().out)["credit_note"]
    assert note["number"] == "NM-K000001" and note["total"] == -invoice["total"]
    assert billing_cli(["creditnote", "get", "--tenant", shop.tenant_id, note["id"]]) == 0
    assert json.loads(capsys.readouterr().out)["number"] == "NM-K000001"
    assert billing_cli(["creditnote", "list", "--tenant", shop.tenant_id, invoice["id"]]) == 0
    assert [n["number"] for n in json.loads(capsys.readouterr().out)["data"]] == ["NM-K000001"]
    again = ["creditnote", "create", "--tenant", shop.tenant_id, "--key", "cli-3", invoice["id"]]
    assert billing_cli(again) == 2
    assert "error: lines: nothing is left to credit" in capsys.readouterr().err
    # The business's credit note page shows amounts excl. VAT
    stored = next(i for i in _documents(shop.tenant_id, "credit_note"))
    html = fetch(f"{url}/i/{stored.page_token}")[2]
    assert "Belopp exkl. moms" in html and "Den krediterar faktura NM-000001" in html
    assert "Det här krediteras" in html


def test_a_one_off_that_loses_the_race_for_its_number_takes_the_next(local_env, shop, monkeypatch):
    # Given a series with one invoice, and another taking the next number just after the next one-off
    # reads the counter
    url = local_env.server.url
    customer = _customer(url, shop, 7, "bas")
    assert _one_off(url, shop, customer, "o-first").body["invoice"]["number"] == "NM-000001"
    raced = lose_the_next_number(monkeypatch)
    # When the one-off invoice is issued
    issued = _one_off(url, shop, customer, "o-race")
    # Then it read the counter again and took the next number: the race is not a conflict
    assert raced and issued.status == 201, issued.body
    assert issued.body["invoice"]["number"] == "NM-000003"
