"""`billing customer erase` on the local stack: what remains after erasure (docs/privacy.md).

The invoices stay, as bookkeeping records with their numbers and amounts, under a pseudonym; the
customer's name, email, address, questions, feedback, pages, Autogiro mandate (personnummer, account)
and usage go; the identity behind the pseudonym is kept apart until the bookkeeping years end; every
invoice's audit trail names the operator."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing.adapters.aws import client
from billing.adapters.dynamo.autogiro import DynamoMandateStore
from billing.adapters.dynamo.erasure import identity_key
from billing.adapters.dynamo.models import (
    AutogiroModel,
    CustomerModel,
    InvoiceEventModel,
    InvoiceModel,
    PageActivityModel,
    UsageLedgerModel,
    UsageModel,
)
from billing.cli import main as billing_cli
from billing.domain.autogiro.validation import BankAccount
from billing.services.autogiro.ports import MandateApplication
from billing.settings import settings
from billing.wiring.core import audit_trail, invoice_ledger, page_actions
from tests.integration import dunning_support
from tests.integration.helpers import fetch

pytestmark = pytest.mark.integration


def _versions(prefix: str) -> list[str]:
    listing = client("s3").list_object_versions(Bucket=settings().pages_bucket, Prefix=prefix)
    return [v["Key"] for kind in ("Versions", "DeleteMarkers") for v in listing.get(kind, [])]


def test_erasure_pseudonymises_the_invoices_and_deletes_everything_else(local_env, capsys):
    # Given a customer with two paid invoices, a question, feedback, an Autogiro mandate and usage
    issued = dunning_support.issue(local_env, months_before=1)
    tenant_id = issued.tenant_id
    items = list(InvoiceModel.query(tenant_id, consistent_read=True))
    customer_id = items[0].customer_id
    stored = invoice_ledger().get(tenant_id, issued.invoice_id)
    name, email, address = stored.invoice.buyer.name, issued.email, list(stored.invoice.buyer.address)
    page_actions().ask(stored.page_token, "Varför så dyrt?", None)
    page_actions().feedback(stored.page_token, "7", "Bra sida")
    DynamoMandateStore().request(
        MandateApplication(
            tenant_id=tenant_id,
            customer_id=customer_id,
            account=BankAccount("8327", "9355171"),
            identity="198112189876",
            invoice_id=issued.invoice_id,
            now=datetime.now(UTC),
        )
    )
    for item in items:
        dunning_support.pay(tenant_id, item.invoice_id, int(item.amount_due))
    old_tokens = [i.page_token for i in items]
    # ... with usage in the ledger, and one event recorded before the ledger held events (UsageTable)
    legacy = {
        "id": "legacy-1",
        "customer_id": customer_id,
        "metric": "sms",
        "timestamp": "2026-01-05T10:00:00+00:00",
    }
    UsageModel(f"{tenant_id}#{customer_id}", f"{legacy['timestamp']}#legacy-1", event=legacy).save()
    UsageLedgerModel(f"{tenant_id}#id#legacy-1", "-", customer_id=customer_id).save()
    assert _versions(f"i/{old_tokens[0]}") and list(
        UsageLedgerModel.events_by_customer.query(f"{tenant_id}#{customer_id}")
    )
    # When the operator erases the customer
    code = billing_cli(
        ["customer", "erase", customer_id, "--tenant", tenant_id, "--operator", "anna", "--yes"]
    )
    report = json.loads(capsys.readouterr().out)
    # Then the invoices remain, with their numbers and amounts, under a pseudonym
    assert code == 0 and sorted(report["invoices_pseudonymised"]) == sorted(i.invoice_id for i in items)
    pseudonym = report["pseudonym"]
    after = {i.invoice_id: i for i in InvoiceModel.query(tenant_id, consistent_read=True)}
    for before in items:
        kept = after[before.invoice_id]
        assert (kept.number, kept.total, kept.ocr, kept.status) == (
            before.number,
            before.total,
            before.ocr,
            "paid",
        )
        assert (
            kept.customer_id == pseudonym and kept.document["buyer"]["name"] == f"Erased customer {pseudonym}"
        )
        assert kept.page_token not in old_tokens
        # ... and nothing personal is left on them: name, address, email, the question, the feedback
        # (the document is stored compressed: read as the text it is)
        text = json.dumps({**kept.serialize(), "document": kept.document}, ensure_ascii=False)
        for personal in (name, email, *address, "Varför så dyrt?", "Bra sida", customer_id):
            assert personal not in text, text[max(0, text.find(personal) - 200) : text.find(personal) + 50]
        assert list(PageActivityModel.query(f"{tenant_id}#{before.invoice_id}")) == []
        # ... and the audit trail says who erased them, under which pseudonym
        erased = [
            e for e in audit_trail().events(tenant_id, before.invoice_id) if e.action == "customer_erased"
        ]
        assert (
            len(erased) == 1 and erased[0].actor_id == "anna" and erased[0].details["pseudonym"] == pseudonym
        )
    # And the pages are gone, every version, and the old links answer 404
    for token in old_tokens:
        assert _versions(f"i/{token}") == []
        assert fetch(f"{issued.base_url}/i/{token}")[0] == 404
    # And the customer record, the mandate (personnummer, account) and the usage are deleted
    with pytest.raises(CustomerModel.DoesNotExist):
        CustomerModel.get(tenant_id, customer_id, consistent_read=True)
    assert [a.item_key for a in AutogiroModel.query(tenant_id) if a.item_key != "counter#payer"] == []
    assert list(UsageModel.query(f"{tenant_id}#{customer_id}")) == []
    left = list(UsageLedgerModel.scan())
    assert all(not i.pk.startswith(f"{tenant_id}#{customer_id}#") for i in left)  # daily totals
    mine = [i.pk for i in left if i.pk.startswith(f"{tenant_id}#id#") and i.customer_id == customer_id]
    assert mine == []  # the events' items, and the older event's marker
    assert report["mandate_deleted"] and report["usage_events_deleted"] > 0
    # And the identity behind the pseudonym is kept apart, until the bookkeeping years end
    (identity,) = InvoiceEventModel.query(identity_key(tenant_id, pseudonym))
    assert identity.details["buyer"]["name"] == name and identity.actor_id == "anna"
    latest_year = max(i.period_start[:4] for i in items)
    assert identity.expires_at.year == int(latest_year) + 8 == int(report["identity_kept_until"][:4])


def test_a_customer_who_owes_money_is_not_erased(local_env, capsys):
    # Given a customer with an unpaid invoice
    issued = dunning_support.issue(local_env)
    customer_id = invoice_ledger().get(issued.tenant_id, issued.invoice_id).invoice.customer_id
    # When the operator tries to erase them
    code = billing_cli(
        ["customer", "erase", customer_id, "--tenant", issued.tenant_id, "--operator", "anna", "--yes"]
    )
    # Then it is refused naming the invoice, and nothing changed
    assert code == 2 and issued.invoice_id in capsys.readouterr().err
    assert CustomerModel.get(issued.tenant_id, customer_id, consistent_read=True).email == issued.email
    assert invoice_ledger().get(issued.tenant_id, issued.invoice_id).invoice.buyer.name != ""
