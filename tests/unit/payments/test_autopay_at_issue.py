"""An invoice issued to a customer who already pays automatically says so from its first email: the
state the worker stores with it, which scheme wins when there are two, and the card collector leaving
Autogiro's invoices alone. Pure: in-memory ports, moments passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.domain.autogiro.bankdays import banking_days_between, is_banking_day
from billing.domain.parties import Customer
from billing.services.autogiro import Mandate, MandateStatus
from billing.services.autopay import AutopayAtIssue
from billing.services.payments import CollectDuePayments
from billing.services.ports import CustomerAccount, StoredInvoice
from tests.unit.page.builders import invoice

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CARD_ON_FILE = {
    "mandate": {
        "customer_ref": "cus_1",
        "payment_method_ref": "pm_1",
        "mandate_ref": None,
        "status": "active",
        "activated_at": "2026-10-12T10:00:00+00:00",
        "setup_ref": "seti_1",
    }
}


def a_tenant(autogiro: bool = True, currency: str = "SEK") -> Any:
    page: dict[str, Any] = {"name": "Nordljus Mobil"}
    if autogiro:
        page["autogiro"] = {"customer_number": "471117"}
    settings = SimpleNamespace(
        tenant_id="t1", currency=currency, bankgiro="5050-1055", legal_name="Nordljus Mobil AB"
    )
    return SimpleNamespace(page=page, settings=settings)


def an_account(stripe: dict[str, Any] | None = None) -> CustomerAccount:
    return CustomerAccount(
        tenant_id="t1",
        customer=Customer(id="c1", name="Ada", address=()),
        subscription=SimpleNamespace(),  # type: ignore[arg-type]
        email="ada@example.se",
        next_period_start=date(2026, 11, 1),
        stripe=stripe or {},
    )


class Mandates:
    def __init__(self, status: MandateStatus | None) -> None:
        self.status = status
        self.reads = 0

    def get(self, tenant_id: str, customer_id: str) -> Mandate | None:
        self.reads += 1
        if self.status is None:
            return None
        return Mandate(tenant_id, customer_id, "4711", self.status)


def issued_on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, tzinfo=STOCKHOLM)


# The builders' invoice: SEK, issued 1 November 2026, due Monday 30 November.
NOVEMBER = invoice()


def test_an_approved_autogiro_mandate_puts_the_debit_date_on_the_invoice_it_issues():
    # Given a customer whose Autogiro mandate Bankgirot approved
    autopay = AutopayAtIssue(autogiro_mandates=Mandates(MandateStatus.APPROVED))
    # When the 1 November invoice is issued
    state = autopay.state(a_tenant(), an_account(), NOVEMBER, issued_on(date(2026, 11, 1)))
    # Then it is debited on its due date (a banking day, well past the notice period), told today
    assert state == {
        "autogiro": {
            "mandate": {"status": "approved", "reason": None},
            "active": True,
            "debit_date": "2026-11-30",
            "notified_on": "2026-11-01",
            "payer_number": "4711",
        }
    }


def test_a_late_invoice_keeps_the_autogiro_notice_period():
    # When an invoice due 30 November is issued on 27 November
    autopay = AutopayAtIssue(autogiro_mandates=Mandates(MandateStatus.APPROVED))
    state = autopay.state(a_tenant(), an_account(), NOVEMBER, issued_on(date(2026, 11, 27)))
    # Then the debit waits until eight banking days after the notice
    debit = date.fromisoformat(state["autogiro"]["debit_date"])
    assert is_banking_day(debit) and banking_days_between(date(2026, 11, 27), debit) >= 8


def test_a_saved_card_makes_the_invoice_autopay_from_the_start():
    autopay = AutopayAtIssue(autogiro_mandates=Mandates(None))
    now = issued_on(date(2026, 11, 1))
    state = autopay.state(a_tenant(), an_account(CARD_ON_FILE), NOVEMBER, now)
    assert state == {"stripe": {"autopay": "active", "autopay_at": now.isoformat()}}


@pytest.mark.parametrize(
    ("autogiro_status", "tenant", "expected"),
    [
        # Both approved: Autogiro takes the SEK invoice, the card is not charged too
        (MandateStatus.APPROVED, a_tenant(), "autogiro"),
        # Autogiro not approved yet: the card takes it
        (MandateStatus.SENT, a_tenant(), "stripe"),
        (MandateStatus.PENDING, a_tenant(), "stripe"),
        (MandateStatus.CANCELLED, a_tenant(), "stripe"),
        # A tenant without an Autogiro agreement never debits by Autogiro
        (MandateStatus.APPROVED, a_tenant(autogiro=False), "stripe"),
    ],
)
def test_one_scheme_takes_an_invoice(autogiro_status, tenant, expected):
    autopay = AutopayAtIssue(autogiro_mandates=Mandates(autogiro_status))
    state = autopay.state(tenant, an_account(CARD_ON_FILE), NOVEMBER, issued_on(date(2026, 11, 1)))
    assert list(state) == [expected]


def test_a_euro_invoice_never_reads_the_autogiro_mandate():
    mandates = Mandates(MandateStatus.APPROVED)
    euro = replace(NOVEMBER, currency="EUR")
    state = AutopayAtIssue(autogiro_mandates=mandates).state(
        a_tenant(), an_account(CARD_ON_FILE), euro, issued_on(date(2026, 11, 1))
    )
    assert list(state) == ["stripe"] and mandates.reads == 0


@pytest.mark.parametrize("status", ["pending", "inactive"])
def test_a_card_mandate_that_does_not_work_leaves_the_invoice_to_be_paid_by_hand(status):
    record = {"mandate": {**CARD_ON_FILE["mandate"], "status": status}}
    state = AutopayAtIssue(autogiro_mandates=Mandates(None)).state(
        a_tenant(), an_account(record), NOVEMBER, issued_on(date(2026, 11, 1))
    )
    assert state == {}


def test_nothing_to_pay_means_nothing_to_debit():
    paid_by_balance = replace(NOVEMBER, amount_due=0)
    autopay = AutopayAtIssue(autogiro_mandates=Mandates(MandateStatus.APPROVED))
    assert (
        autopay.state(a_tenant(), an_account(CARD_ON_FILE), paid_by_balance, issued_on(NOVEMBER.issue_date))
        == {}
    )


def test_the_audit_trail_records_how_the_invoice_will_be_paid():
    at = datetime(2026, 11, 1, 5, tzinfo=UTC)
    autogiro = AutopayAtIssue.audit_event(
        {"autogiro": {"debit_date": "2026-11-30", "payer_number": "4711"}}, at
    )
    assert autogiro is not None and autogiro.action == "autogiro_debit_announced"
    assert autogiro.details == {"debit_date": "2026-11-30", "payer_number": "4711"}
    stripe = AutopayAtIssue.audit_event({"stripe": {"autopay": "active"}}, at)
    assert stripe is not None and stripe.action == "autopay_active"
    assert AutopayAtIssue.audit_event({}, at) is None


class _Untouchable:
    """A port the collector must not reach for an invoice Autogiro holds."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the collector used {name}")


def test_the_card_collector_leaves_an_invoice_autogiro_debits():
    # Given an open invoice due today that Autogiro will debit, of a customer who also saved a card
    held = StoredInvoice(
        invoice=NOVEMBER,
        page_token="tok",
        status="open",
        amount_due=NOVEMBER.amount_due,
        state={"autogiro": {"active": True, "debit_date": "2026-11-30"}},
    )
    records = SimpleNamespace(
        open_invoices_due=lambda tenant_id, on: [held.invoice_id],
        customer_record=lambda tenant_id, customer_id: CARD_ON_FILE,
    )
    collector = CollectDuePayments(
        invoices=SimpleNamespace(get=lambda tenant_id, invoice_id: held),  # type: ignore[arg-type]
        pages=_Untouchable(),  # type: ignore[arg-type]
        records=records,  # type: ignore[arg-type]
        gateways=_Untouchable(),  # type: ignore[arg-type]
        emails=_Untouchable(),  # type: ignore[arg-type]
        audit=_Untouchable(),  # type: ignore[arg-type]
        clock=_Untouchable(),  # type: ignore[arg-type]
    )
    # When the collector runs on the due date
    summary = collector("t1", date(2026, 11, 30))
    # Then it charges nothing
    assert summary.considered == 1 and summary.skipped == 1 and summary.charged == 0
