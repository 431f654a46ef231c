"""The demo's bank payments (infra/demo_bank.py) on the local stack: every fourth customer pays from
the bank through a BgMax file in the inbox, the first of them late, and one mistyped OCR number is
matched by hand, so the demo's history has paid, late and hand-matched invoices."""

from __future__ import annotations

from datetime import date

import pytest

from billing.adapters.dynamo.models import InvoiceModel
from billing.services.bank_payments import UnmatchedPayments
from billing.wiring.bank import bank_ledger
from billing.wiring.core import audit_trail
from infra import demo, demo_bank
from infra.local_run import run_billing

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 4)


def test_demo_customers_pay_from_their_bank(local_env, tenant_id, scenario_clock):
    scenario_clock(TODAY)
    demo.seed(8, TODAY, tenant_id, date(2026, 10, 1))
    results = {}
    for run_date, last in ((date(2026, 10, 1), False), (date(2026, 11, 1), True)):
        run_billing(tenant_id, run_date)
        results[run_date] = demo_bank.pay_from_bank(tenant_id, run_date, TODAY, last_month=last)
    invoices = list(InvoiceModel.query(tenant_id, consistent_read=True))

    def issued_by(run_date: date) -> list[InvoiceModel]:
        run_id = f"{tenant_id}:{run_date.isoformat()}"
        return sorted((i for i in invoices if i.run_id == run_id), key=lambda i: i.customer_id)

    october, november = issued_by(date(2026, 10, 1)), issued_by(date(2026, 11, 1))
    # October: every fourth customer paid, the first of them after the due date, the others before
    payers = october[:: demo_bank.SHARE]
    assert len(payers) >= 2
    late, *on_time = payers
    assert all(i.status == "paid" for i in payers)
    assert late.paid_at.date() > date.fromisoformat(late.due_date)
    assert all(i.paid_at.date() < date.fromisoformat(i.due_date) for i in on_time)
    assert all(i.status == "open" for i in october if i not in payers)
    # November: the late payer's day is still to come; the second payer mistyped the OCR number and
    # customer service matched it by hand
    payers = november[:: demo_bank.SHARE]
    assert payers[0].status == "open"
    hand = payers[1]
    assert hand.status == "paid" and results[date(2026, 11, 1)]["matched_by_hand"] == hand.invoice_id
    assigned = [
        e for e in audit_trail().events(tenant_id, hand.invoice_id) if e.action == "bank_payment_assigned"
    ]
    assert len(assigned) == 1 and assigned[0].actor_id == demo_bank.HAND_MATCHER
    assert UnmatchedPayments(ledger=bank_ledger())(tenant_id) == []
    assert len(bank_ledger().deposits(tenant_id)) >= 3  # the paying days of October and November
