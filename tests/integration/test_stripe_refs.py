"""Stripe ids and what they were made for (billing.adapters.dynamo.stripe_refs): a Stripe event without
our metadata finds its invoice or customer by one read of its id, not by reading the tenant's invoices;
what was stored before the table existed is still found by that read of the partition until `billing
payments index-refs` has indexed it."""

from __future__ import annotations

import json

import pytest

from billing.adapters.dynamo import stripe_refs
from billing.adapters.dynamo.erasure import DynamoErasureStore
from billing.adapters.dynamo.models import CustomerModel, InvoiceModel, StripeRefModel, TenantModel
from billing.adapters.dynamo.stripe_refs import Owner, index_tenant, put, unmarked_tenants
from billing.cli import main as cli_main
from billing.wiring.core import stripe_records
from tests.integration import stripe_support
from tests.integration.stripe_support import Issued, complete_checkout, request

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixtures
issued = stripe_support.issued


def _paid_through_checkout(issued: Issued) -> str:
    location = request(issued.link("pay-button"))[1]["Location"]
    complete_checkout(location)
    return str(issued.fake.sessions[location.rsplit("/", 1)[1]]["payment_intent"])


def _ref_keys(tenant_id: str) -> dict[str, str]:
    return {str(item.item_key): str(item.owner_id) for item in StripeRefModel.query(tenant_id)}


def test_a_paid_invoice_is_found_by_its_session_intent_and_charge_and_by_nothing_like_them(issued):
    # Given an invoice paid through Checkout
    intent = _paid_through_checkout(issued)
    records = stripe_records()
    refs = _ref_keys(issued.tenant_id)
    invoice_id = issued.stored.invoice_id
    # Then the session, the intent and the charge each name the invoice
    kinds = {key.split("#", 1)[1].split("_", 1)[0] for key, owner in refs.items() if owner == invoice_id}
    assert {"cs", "pi", "ch"} <= kinds
    assert records.find_invoice(issued.tenant_id, intent) == invoice_id
    # And an id that only contains the intent's, or is contained in it, finds nothing
    assert records.find_invoice(issued.tenant_id, intent + "0") is None
    assert records.find_invoice(issued.tenant_id, intent[:-1]) is None
    # And another tenant's ids are not this tenant's
    assert records.find_invoice("another-tenant", intent) is None


def test_invoices_and_customers_stored_before_the_table_are_indexed_once_by_the_cli(issued, capsys):
    # Given a paid invoice and a customer with a saved mandate of a tenant created before the table
    # (their id items missing, the tenant unmarked)
    intent = _paid_through_checkout(issued)
    customer_id = issued.stored.invoice.customer_id
    CustomerModel(issued.tenant_id, customer_id).update(
        actions=[
            CustomerModel.stripe.set({"mandate": {"payment_method": "pm_backfill123", "status": "active"}})
        ]
    )
    for item in StripeRefModel.query(issued.tenant_id):
        item.delete()
    TenantModel(issued.tenant_id).update(actions=[TenantModel.stripe_ids_indexed.remove()])
    stripe_refs._INDEXED.discard(issued.tenant_id)
    records = stripe_records()
    # Then, until the tenant is indexed, a look-up still finds them by reading the partition
    assert records.find_invoice(issued.tenant_id, intent) == issued.stored.invoice_id
    assert records.find_invoice(issued.tenant_id, intent[:-1]) is None  # the id as a whole, as ever
    assert records.find_customer(issued.tenant_id, "pm_backfill123") == customer_id
    # When the operator indexes every tenant not marked yet
    assert issued.tenant_id in unmarked_tenants()
    assert cli_main(["payments", "index-refs", "--unmarked"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (counted,) = [
        {k: v for k, v in line.items() if k != "tenant_id"}
        for line in lines
        if line["tenant_id"] == issued.tenant_id
    ]
    assert issued.tenant_id not in unmarked_tenants()
    # Then each id is found by its item, the invoice's and the customer's, and nothing else is
    assert TenantModel.get(issued.tenant_id).stripe_ids_indexed is True
    assert records.find_invoice(issued.tenant_id, intent) == issued.stored.invoice_id
    assert records.find_customer(issued.tenant_id, "pm_backfill123") == customer_id
    assert counted["invoices"] == len(list(InvoiceModel.query(issued.tenant_id))) and counted["ids"] >= 4
    # And a tenant that does not exist is named, not created
    assert cli_main(["payments", "index-refs", "--tenant", "no-such-tenant"]) == 2
    assert "error: tenant: no tenant 'no-such-tenant'" in capsys.readouterr().err
    # And running it again changes nothing
    before = _ref_keys(issued.tenant_id)
    assert index_tenant(issued.tenant_id) == counted
    assert _ref_keys(issued.tenant_id) == before
    assert before[f"{Owner.CUSTOMER}#pm_backfill123"] == customer_id
    # And a marked tenant's miss reads no partition: with the intent's item gone, nothing finds it
    StripeRefModel(issued.tenant_id, f"{Owner.INVOICE}#{intent}").delete()
    assert records.find_invoice(issued.tenant_id, intent) is None


def test_erasing_a_customer_forgets_the_ids_of_its_saved_method(issued):
    # Given a customer whose saved mandate names a payment method and a mandate
    customer_id = issued.stored.invoice.customer_id
    records = stripe_records()
    record = {"mandate": {"payment_method": "pm_erase123456", "mandate": "mandate_erase123456"}}
    records.change_customer_record(issued.tenant_id, customer_id, lambda _: (record, None))
    assert records.find_customer(issued.tenant_id, "pm_erase123456") == customer_id
    # And one of its ids that, by now, names another customer
    put(issued.tenant_id, Owner.CUSTOMER, "someone-else", "mandate_erase123456")
    # When the customer record is erased
    DynamoErasureStore().delete_customer(issued.tenant_id, customer_id)
    # Then its own id leads nowhere, and the other customer's is left alone
    assert records.find_customer(issued.tenant_id, "pm_erase123456") is None
    assert records.find_customer(issued.tenant_id, "mandate_erase123456") == "someone-else"


def test_a_save_that_fails_after_its_id_was_put_is_retried_to_one_record(issued, monkeypatch):
    # Given the invoice's Stripe record gaining a Checkout Session, and the state write failing once
    # after the session's id item was put (DynamoDB down for a moment)
    from billing.adapters.dynamo import invoice_state
    from billing.services.errors import RetryableError

    real_written = invoice_state.written
    failures = iter([True])

    def flaky(write, what):  # type: ignore[no-untyped-def]
        if next(failures, False):
            raise RetryableError(f"{what} failed: throttled")
        return real_written(write, what)

    monkeypatch.setattr(invoice_state, "written", flaky)
    records = stripe_records()
    session = "cs_test_retried0001"

    def add(record):  # type: ignore[no-untyped-def]
        return record if session in record.refs else record.with_ref(session)

    with pytest.raises(RetryableError):
        records.update_invoice_record(issued.tenant_id, issued.stored.invoice_id, add)
    # Then the id already leads to its invoice (a fact from the moment the session was opened), while
    # the record does not name it yet
    assert records.find_invoice(issued.tenant_id, session) == issued.stored.invoice_id
    assert session not in records.invoice_record(issued.tenant_id, issued.stored.invoice_id).refs
    # When the save is retried, the record names it once, and the id's item is the same one
    saved = records.update_invoice_record(issued.tenant_id, issued.stored.invoice_id, add)
    assert saved.refs.count(session) == 1
    assert [k for k in _ref_keys(issued.tenant_id) if k.endswith(session)] == [f"{Owner.INVOICE}#{session}"]
    assert records.find_invoice(issued.tenant_id, session) == issued.stored.invoice_id


def test_a_customers_open_invoices_are_read_by_the_customers_key(issued):
    """What a mandate's change reaches: the customer's unpaid invoices, from the customer's own key
    (never the tenant's open invoices), and none once paid."""
    records, customer_id = stripe_records(), issued.stored.invoice.customer_id
    assert records.open_invoices_of(issued.tenant_id, customer_id) == [issued.stored.invoice_id]
    assert records.open_invoices_of(issued.tenant_id, "no-such-customer") == []
    assert records.open_invoices_of("another-tenant", customer_id) == []
    _paid_through_checkout(issued)
    assert issued.refreshed().status == "paid"
    assert records.open_invoices_of(issued.tenant_id, customer_id) == []
