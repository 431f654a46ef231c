"""The money audit trail of a demo run accounts for every öre: the demo's own seeding and months
(infra/demo.py's steps: billing runs, bank and card and Autogiro payers, a dispute, a plan change and
a cancellation through the merchant's API, this month's run, a one-off invoice partly credited and a
paid invoice credited whole), then the outbox drained as its stream would be. For every invoice (and
credit note), the sum of its audited changes is what it is owed now, its first entry is its issue, and
every customer's balance moves are on the trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from billing.adapters.dynamo.models import InvoiceModel
from billing.domain.audit_trail import KIND_BALANCE, KIND_INVOICE, accounted_amount_due
from billing.domain.outbox import invoice_stream
from billing.wiring.outbox import money_audit, outbox_store
from infra import demo, demo_api, demo_bank, demo_data, demo_history, demo_ledger, local_outbox
from infra.local_run import run_billing

pytestmark = pytest.mark.integration

CUSTOMERS = 12
MONTHS = 3


def test_the_audit_trail_of_a_demo_run_accounts_for_every_ore(local_env: Any) -> None:
    # Given the demo, as `make demo` builds it (fewer customers and months)
    today = datetime.now(demo_data.STOCKHOLM).date()
    seeded = demo.seed(CUSTOMERS, today)
    current = seeded["current"]
    for back in range(MONTHS, 0, -1):
        run_date = demo_data.add_months(current, -back)
        run_billing(demo_data.TENANT_ID, run_date)
        demo_bank.pay_from_bank(demo_data.TENANT_ID, run_date, today, last_month=back == 1)
        demo_history.settle_month(seeded["customers"], run_date, last=back == 1, recent=back <= 2)
    demo_history.dispute_and_question(seeded["customers"], demo_data.add_months(current, -1))
    demo_api.change_minds(seeded["api"], seeded["customers"], demo_data.add_months(current, -1))
    run_billing(demo_data.TENANT_ID, current)
    demo_ledger.bill_and_credit(seeded["api"], seeded["customers"])
    # and a paid invoice credited whole: the note's money goes to the customer's balance
    paid = next(
        i
        for i in InvoiceModel.query(demo_data.TENANT_ID, consistent_read=True)
        if i.status == "paid" and (i.document or {}).get("kind") == "period"
    )
    seeded["api"].call(
        "POST",
        "/v1/invoices/{invoice_id}/credit_notes",
        {"invoice_id": paid.invoice_id},
        {"reason": "Goodwill"},
    )
    # When the outbox's stream has been read
    local_outbox.drain()
    # Then every invoice's audited changes add up to what it is owed now
    invoices = list(InvoiceModel.query(demo_data.TENANT_ID, consistent_read=True))
    assert len(invoices) >= CUSTOMERS * MONTHS
    balances: dict[str, int] = {}
    kinds: set[str] = set()
    for item in invoices:
        entries = money_audit().for_invoice(demo_data.TENANT_ID, item.invoice_id)
        assert entries and entries[0].reason == "issued", item.invoice_id
        assert entries[0].change == int(item.total) - sum(  # the issue: its total less the credit it took
            -e.change for e in entries if e.kind == KIND_BALANCE and e.seq == 1
        )
        assert accounted_amount_due(entries) == int(item.amount_due), item.invoice_id
        assert entries[-1].after["amount_paid"] == int(item.amount_paid or 0), item.invoice_id
        assert entries[-1].after["status"] == item.status, item.invoice_id
        for e in entries:
            kinds.add(e.reason)
            if e.kind == KIND_BALANCE:
                balances[e.customer_id] = balances.get(e.customer_id, 0) + e.change
        # and nothing is left to do in its outbox
        pending = [
            e
            for e in outbox_store().events(demo_data.TENANT_ID, invoice_stream(item.invoice_id))
            if e.pending
        ]
        assert pending == [], item.invoice_id
        assert all(e.kind in (KIND_INVOICE, KIND_BALANCE) for e in entries)
    # and every customer's balance is what the trail says went to it and came from it
    from billing.wiring.core import customer_directory

    for c in seeded["customers"]:
        account = customer_directory().get(demo_data.TENANT_ID, str(c.profile["id"]))
        assert account is not None
        assert account.balance == balances.get(account.customer.id, 0), account.customer.id
    # The demo's kinds of money change are all on the trail
    assert {"issued", "payment_received", "dispute_opened", "credit_note_issued"} <= kinds
    assert any(i.status == "credited" for i in invoices) or any(
        e.kind == KIND_BALANCE and e.reason == "credit_note_issued"
        for i in invoices
        for e in money_audit().for_invoice(demo_data.TENANT_ID, i.invoice_id)
    )
    count = sum(len(money_audit().for_invoice(demo_data.TENANT_ID, i.invoice_id)) for i in invoices)
    print(f"\n{len(invoices)} invoices, {count} audit entries, reasons {sorted(kinds)}")
