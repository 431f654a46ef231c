"""Shared set-up for the dunning tests on the local stack: one issued invoice under a chosen policy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from billing.adapters.dunning_page import RATES_FILE
from billing.adapters.dynamo.dunning import DynamoDunningStore
from billing.adapters.dynamo.models import InvoiceModel
from billing.adapters.dynamo.stores import DynamoTenantDirectory
from billing.domain.dunning import ReferenceRates, parse_reference_rates
from billing.domain.payments import PaymentSucceeded
from billing.services.billing_run import SystemClock
from billing.services.ports import StoredInvoice
from billing.services.settlement import ApplyPaymentEvent
from billing.wiring.core import audit_trail, invoice_ledger, invoice_pages, send_reminders
from infra import demo, demo_data
from infra.local_lambda import invoke, scheduler_event
from infra.local_run import run_billing
from tests.integration.helpers import emails_to

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The real calendar: the relief rules compare with the real today (a due date may not be moved into
# the past), so invoices are issued this month and due in about 30 days.
TODAY = datetime.now(STOCKHOLM).date()
RUN_DATE = TODAY.replace(day=1)

POLICY: dict[str, Any] = {
    "steps": [
        {"days_after_due": 5, "fee": False, "tone": "friendly"},
        {"days_after_due": 20, "fee": True, "tone": "clear"},
    ],
    "reminder_fee_ore": 6000,
    "mandate_retry_days": [3, 7],
    "charge_interest": True,
    "resume_grace_days": 3,
    "max_due_date_move_days": 14,
    "max_instalments": 3,
}


@dataclass
class Issued:
    tenant_id: str
    invoice_id: str
    email: str
    moto_url: str
    base_url: str

    @property
    def stored(self) -> StoredInvoice:
        stored = invoice_ledger().get(self.tenant_id, self.invoice_id)
        assert stored is not None
        return stored

    @property
    def due(self) -> date:
        return self.stored.invoice.due_date

    def emails(self) -> list[dict[str, Any]]:
        return emails_to(self.moto_url, self.email)

    def reminders(self) -> list[dict[str, Any]]:
        return list(self.stored.state.get("dunning", {}).get("reminders") or [])

    def actions(self) -> list[str]:
        return [e.action for e in audit_trail().events(self.tenant_id, self.invoice_id)]


def issue(
    local_env: Any, policy: dict[str, Any] | None = None, *, fee_agreed: bool = False, months_before: int = 0
) -> Issued:
    """A fresh tenant with one customer and this month's invoice, under `policy`; with
    `months_before`, that many earlier monthly invoices too (left unpaid)."""
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    first_run = demo_data.add_months(RUN_DATE, -months_before)
    seeded = demo.seed(1, TODAY, tenant_id, first_run)
    page = {**demo_data.PAGE_SETTINGS, "reminders": policy or POLICY}
    DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    customer = seeded["customers"][0]
    if fee_agreed:
        # The contract term existed before the debt arose (the invoice is issued on RUN_DATE).
        DynamoDunningStore.set_fee_agreement(tenant_id, customer.profile["id"], RUN_DATE - timedelta(days=30))
    for back in range(months_before, -1, -1):
        run_billing(tenant_id, demo_data.add_months(RUN_DATE, -back))
    items = list(InvoiceModel.query(tenant_id, consistent_read=True))
    item = max(items, key=lambda i: i.period_start)
    return Issued(tenant_id, item.invoice_id, customer.email, local_env.moto_url, local_env.server.url)


def rates_with_test_half_years() -> ReferenceRates:
    """The data file plus made-up half-years up to 2030 (TEST DATA, clearly not the Riksbank's):
    the file ends when its last published rate does, and these tests run on the real calendar."""
    raw = json.loads(RATES_FILE.read_text(encoding="utf-8"))
    last = max(date.fromisoformat(r["effective_from"]) for r in raw)
    day = date(last.year + (last.month == 7), 1 if last.month == 7 else 7, 1)
    while day.year < 2031:
        raw.append({"effective_from": day.isoformat(), "rate_percent": "2.50" if day.month == 1 else "3.00"})
        day = date(day.year + (day.month == 7), 1 if day.month == 7 else 7, 1)
    return parse_reference_rates(raw)


@contextmanager
def patched_rates() -> Iterator[ReferenceRates]:
    """The reminders job with the test's rates: the one built now, and any built while patched (a
    cold start, as the local stack makes at each switch of function, builds it again)."""
    rates = rates_with_test_half_years()
    job = send_reminders()
    original = job.rates
    job.rates = rates
    try:
        with mock.patch("billing.adapters.dunning_page.load_reference_rates", return_value=rates):
            yield rates
    finally:
        job.rates = original


def run_dunning(tenant_id: str, day: date) -> dict[str, Any]:
    """The daily job as the scheduler starts it: 09:00 in Stockholm on `day`."""
    scheduled = datetime.combine(day, time(9, 0), STOCKHOLM).astimezone(UTC)
    result: dict[str, Any] = invoke(
        "SendRemindersFunction", scheduler_event("SendRemindersFunction", scheduled, tenant_id=tenant_id)
    )
    return result


class _NoReceipts:
    def send_receipt(self, *args: Any, **kwargs: Any) -> None:
        return None


def pay(tenant_id: str, invoice_id: str, amount: int, currency: str = "SEK") -> None:
    """Settle through the one settlement path every provider uses."""
    from billing.services.outbox import DriveOutbox
    from billing.wiring.outbox import merchant_events, money_audit, outbox_store

    ledger = invoice_ledger()
    effects = DriveOutbox(
        outbox=outbox_store(),
        money_audit=money_audit(),
        invoices=ledger,
        pages=invoice_pages(),
        receipts=_NoReceipts(),
        audit=audit_trail(),
        merchant=merchant_events(),
        clock=SystemClock(),
    )
    settle = ApplyPaymentEvent(invoices=ledger, payments=ledger, effects=effects, clock=SystemClock())
    event = PaymentSucceeded(
        event_id=f"evt_{uuid.uuid4().hex[:12]}",
        event_type="payment_intent.succeeded",
        occurred_at=datetime.now(UTC),
        invoice_id=invoice_id,
        payment_ref=f"pi_{uuid.uuid4().hex[:12]}",
        amount=amount,
        currency=currency,
    )
    settle(tenant_id, invoice_id, event, "stripe")
