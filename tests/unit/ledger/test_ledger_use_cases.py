"""The one-off invoice and credit-note use cases over in-memory fakes: numbering, previews, retries by
request key, a crash between the commit and the delivery, a concurrent change, money and VAT."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.credit import amount_for_quantity, format_credit_note_number
from billing.domain.invoice import InvoiceLine, format_invoice_number
from billing.domain.invoice_credits import CreditRef, invoice_credits
from billing.domain.payments import InvoicePayments
from billing.domain.pricing_errors import CreditError
from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.credit_notes.create import CreateCreditNote, CreditRefused
from billing.services.credit_notes.fields import CreditNoteCreate
from billing.services.credit_notes.get import GetCreditNote, page_credit_notes
from billing.services.credit_notes.ports import CreditNoteIssue
from billing.services.errors import PermanentError
from billing.services.invoices.create import CreateOneOffInvoice
from billing.services.invoices.fields import OneOffInvoiceCreate
from billing.services.ports import CustomerAccount, DocumentIssue, StoredInvoice, TenantAccount
from billing.services.subscriptions.documents import NoSubscription
from tests.unit.pricing.pricing_builders import CUSTOMER, TENANT, flat, plan

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


class Clock:
    def now(self) -> datetime:
        return NOW


class Tokens:
    def __init__(self) -> None:
        self.n = 0

    def page_token(self) -> str:
        self.n += 1
        return f"token-{self.n:04d}-abcdefghijkl"


@dataclass
class Tenants:
    account: TenantAccount

    def get(self, tenant_id: str) -> TenantAccount:
        return self.account


@dataclass
class Ledger:
    """Both ledgers in memory, with the adapters' rules: a number per stored document, the credited
    invoice changed only if unchanged since read, the balance spent only if still there."""

    accounts: dict[str, CustomerAccount]
    stored: dict[str, StoredInvoice] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    interfere: list[Any] = field(default_factory=list)  # run before the next transaction

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self.stored.get(invoice_id)

    def account(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        return self.accounts.get(customer_id)

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool:
        return customer_id in self.accounts or customer_id == "c-no-subscription"

    def _next(self, series: str) -> int:
        self.counters[series] = self.counters.get(series, 0) + 1
        return self.counters[series]

    def _interfere(self) -> None:
        while self.interfere:
            self.interfere.pop(0)()

    def issue_one_off(self, issue: DocumentIssue) -> StoredInvoice | None:
        invoice, account, page_token = issue.invoice, issue.account, issue.page_token
        self._interfere()
        if invoice.invoice_id in self.stored:
            return self.stored[invoice.invoice_id]
        current = self.accounts[account.customer.id]
        if current.balance < invoice.balance_applied:
            return None
        n = self._next("invoices")
        numbered = invoice.with_number(format_invoice_number(issue.series.prefix, n), str(n))
        self.accounts[account.customer.id] = replace(
            current, balance=current.balance - invoice.balance_applied
        )
        self.stored[invoice.invoice_id] = StoredInvoice(numbered, page_token, "open", numbered.amount_due)
        return self.stored[invoice.invoice_id]

    def issue_credit_note(self, issue: CreditNoteIssue) -> StoredInvoice | None:
        note, credited, account, page_token = issue.note, issue.credited, issue.account, issue.page_token
        applied, to_balance, payments = issue.applied, issue.to_balance, issue.payments
        self._interfere()
        if self.stored[credited.invoice_id] != credited or note.invoice_id in self.stored:
            return None
        n = self._next("credit_notes")
        numbered = note.with_number(format_credit_note_number(issue.series_prefix, n), None)
        self.stored[note.invoice_id] = StoredInvoice(numbered, page_token, "paid", numbered.amount_due)
        state = copy.deepcopy(credited.state)
        ref = CreditRef(
            invoice_id=note.invoice_id,
            number=numbered.number,
            amount=-note.total,
            applied=applied,
            to_balance=to_balance,
            issued_at=issue.now,
            issue_date=note.issue_date,
            page_token=page_token,
        )
        # The shape the adapter stores (billing.adapters.dynamo.ledger_documents)
        state["credits"] = invoice_credits(state).with_note(ref).to_record()
        if payments is not None:
            state["payments"] = payments
        due = credited.amount_due - applied
        status = "credited" if applied and due == 0 else credited.status
        self.stored[credited.invoice_id] = replace(credited, amount_due=due, status=status, state=state)
        current = self.accounts[account.customer.id]
        self.accounts[account.customer.id] = replace(current, balance=current.balance + to_balance)
        return self.stored[note.invoice_id]


@dataclass
class Delivery:
    """Page and email, each once per document; `fail` makes the next delivery crash (after the commit)."""

    delivered: list[str] = field(default_factory=list)
    attempts: int = 0
    fail: bool = False

    def deliver(self, stored: StoredInvoice, tenant: Any, account: CustomerAccount) -> bool:
        self.attempts += 1
        if self.fail:
            self.fail = False
            raise RuntimeError("the function stopped")
        if stored.invoice_id in self.delivered:
            return False
        self.delivered.append(stored.invoice_id)
        return True


@dataclass
class Pages:
    published: list[tuple[str, int]] = field(default_factory=list)

    def publish(self, stored: StoredInvoice) -> None:
        self.published.append((stored.invoice.number or "", stored.amount_due))


def _account(customer_id: str = "c1", balance: int = 0) -> CustomerAccount:
    customer = parse_customer({**CUSTOMER, "id": customer_id, "language": "sv"})
    subscription = parse_subscription(
        {"id": "s1", "customer_id": customer_id, "phases": [{"plan": "p", "start": "2026-01-01"}]}
    )
    return CustomerAccount("t1", customer, subscription, "kund@example.se", date(2027, 1, 1), balance=balance)


@pytest.fixture
def world():
    tenant = TenantAccount(parse_tenant_settings(TENANT), parse_catalog({"plans": [plan(flat())]}), {})
    ledger = Ledger(accounts={"c1": _account()})
    delivery, pages = Delivery(), Pages()
    one_off = CreateOneOffInvoice(ledger, Tenants(tenant), delivery, Tokens(), Clock())
    credit = CreateCreditNote(ledger, Tenants(tenant), delivery, pages, Tokens(), Clock())
    return ledger, delivery, pages, one_off, credit


ITEMS = OneOffInvoiceCreate.model_validate(
    {
        "items": [
            {"description": "Installation", "quantity": "3", "unit": "h", "unit_price": 45000},
            {"description": "Handbok", "unit_price": 14950, "vat_rate": "6"},
        ]
    }
)


def _issue(world, key: str = "k1") -> StoredInvoice:
    ledger, _, _, one_off, _ = world
    result = one_off("t1", "c1", ITEMS, request_key=key)
    stored = ledger.stored[result.invoice.id]
    return stored


def test_a_one_off_preview_writes_nothing_and_the_issue_is_numbered_once(world):
    ledger, delivery, _, one_off, _ = world
    preview = one_off("t1", "c1", ITEMS, request_key="k1", preview=True)
    assert preview.preview and preview.invoice.number is None and ledger.stored == {}
    first = one_off("t1", "c1", ITEMS, request_key="k1")
    assert first.invoice.number == "F000001" and delivery.delivered == [first.invoice.id]
    # VAT per line's rate: 1 350.00 at 25 %, 149.50 at 6 %
    assert first.invoice.document["vat"] == [
        {"rate": "25", "base": 135000, "vat": 33750},
        {"rate": "6", "base": 14950, "vat": 897},
    ]
    again = one_off("t1", "c1", ITEMS, request_key="k1")
    assert again == first and len(ledger.stored) == 1 and ledger.counters == {"invoices": 1}
    assert one_off("t1", "c1", ITEMS, request_key="k2").invoice.number == "F000002"


def test_a_crash_after_the_commit_is_finished_by_the_same_request(world):
    ledger, delivery, _, one_off, _ = world
    delivery.fail = True
    with pytest.raises(RuntimeError):
        one_off("t1", "c1", ITEMS, request_key="k1")
    assert len(ledger.stored) == 1 and delivery.delivered == []
    result = one_off("t1", "c1", ITEMS, request_key="k1")
    assert delivery.delivered == [result.invoice.id] and ledger.counters == {"invoices": 1}


def test_a_one_off_uses_the_balance_and_recomputes_when_it_moved(world):
    ledger, _, _, one_off, _ = world
    ledger.accounts["c1"] = _account(balance=50000)

    def spend() -> None:  # another invoice used part of the credit meanwhile
        ledger.accounts["c1"] = _account(balance=20000)

    ledger.interfere.append(spend)
    result = one_off("t1", "c1", ITEMS, request_key="k1")
    assert result.invoice.document["balance_applied"] == 20000
    assert result.invoice.amount_due == result.invoice.total - 20000 and ledger.accounts["c1"].balance == 0


@pytest.mark.parametrize(
    ("customer", "error"), [("c-no-subscription", NoSubscription), ("c-nobody", PermanentError)]
)
def test_a_one_off_needs_a_subscribed_customer(world, customer, error):
    with pytest.raises(error) as caught:
        world[3]("t1", customer, ITEMS, request_key="k")
    assert caught.value.field == "customer_id"


def test_items_adding_up_below_zero_are_refused_naming_items(world):
    body = OneOffInvoiceCreate.model_validate({"items": [{"description": "Rabatt", "unit_price": -100}]})
    with pytest.raises(PermanentError) as caught:
        world[3]("t1", "c1", body, request_key="k")
    assert caught.value.field == "items"


def _note(lines: list[dict[str, Any]] | None = None, reason: str | None = None) -> CreditNoteCreate:
    return CreditNoteCreate.model_validate({"lines": lines, "reason": reason})


def test_credit_notes_lower_an_unpaid_invoice_and_never_credit_more_than_it_carried(world):
    ledger, delivery, pages, _, credit = world
    invoice = _issue(world)
    one_hour = credit("t1", invoice.invoice_id, _note([{"line_id": "1", "quantity": "1"}]), request_key="n1")
    note = one_hour.credit_note
    assert note.number == "FK000001" and note.invoice_number == "F000001"
    assert note.document["vat"] == [{"rate": "25", "base": -45000, "vat": -11250}]
    assert note.applied_to_invoice == -note.total and note.to_balance == 0
    after = ledger.stored[invoice.invoice_id]
    assert (
        after.amount_due == invoice.amount_due + note.total
        and one_hour.invoice.amount_due == after.amount_due
    )
    # A later payment is measured against what is due now
    assert InvoicePayments.from_record(after.state["payments"]).amount_due == after.amount_due
    # Delivered: the note's page and email, and the invoice's page again with its new amount
    assert delivery.delivered[-1] == note.id and pages.published[-1] == ("F000001", after.amount_due)
    assert [r.number for r in page_credit_notes(after)] == ["FK000001"]
    # The retry: the same note, nothing new
    again = credit("t1", invoice.invoice_id, _note([{"line_id": "1", "quantity": "1"}]), request_key="n1")
    assert again == one_hour and ledger.counters["credit_notes"] == 1
    # More than is left on a line: refused, naming the field
    with pytest.raises(CreditRefused) as caught:
        credit("t1", invoice.invoice_id, _note([{"line_id": "1", "amount": 90001}]), request_key="n2")
    assert caught.value.field == "lines[0].amount"
    with pytest.raises(PermanentError) as caught:
        credit("t1", invoice.invoice_id, _note([{"line_id": "1", "quantity": "4"}]), request_key="n3")
    assert caught.value.field == "lines[0].quantity"
    # The rest, whole: exactly what is left, and the invoice owes nothing
    rest = credit("t1", invoice.invoice_id, _note(), request_key="n4")
    assert rest.credit_note.number == "FK000002"
    assert note.total + rest.credit_note.total == -invoice.invoice.total
    assert ledger.stored[invoice.invoice_id].amount_due == 0
    assert ledger.stored[invoice.invoice_id].status == "credited"
    with pytest.raises(CreditRefused) as caught:
        credit("t1", invoice.invoice_id, _note(), request_key="n5")
    assert caught.value.field == "lines"
    listed = GetCreditNote(ledger).of_invoice("t1", invoice.invoice_id)  # type: ignore[arg-type]
    assert [n.number for n in listed.data] == ["FK000001", "FK000002"]


def test_a_paid_invoices_credit_goes_to_the_balance(world):
    ledger, _, _, _, credit = world
    invoice = _issue(world)
    ledger.stored[invoice.invoice_id] = replace(
        invoice, status="paid", amount_due=0, amount_paid=invoice.amount_due
    )
    result = credit("t1", invoice.invoice_id, _note([{"line_id": "2", "amount": 14950}]), request_key="n1")
    assert result.credit_note.applied_to_invoice == 0
    assert result.credit_note.to_balance == -result.credit_note.total == ledger.accounts["c1"].balance > 0
    assert ledger.stored[invoice.invoice_id].status == "paid"


def test_a_preview_writes_nothing_and_a_concurrent_change_is_computed_again(world):
    ledger, _, _, _, credit = world
    invoice = _issue(world)
    preview = credit("t1", invoice.invoice_id, _note(), request_key="n1", preview=True)
    assert preview.preview and preview.credit_note.number is None and preview.invoice.amount_due == 0
    assert ledger.stored[invoice.invoice_id] == invoice and "credit_notes" not in ledger.counters

    def other_note() -> None:  # another request credits one hour first
        credit("t1", invoice.invoice_id, _note([{"line_id": "1", "quantity": "1"}]), request_key="other")

    ledger.interfere.append(other_note)
    result = credit("t1", invoice.invoice_id, _note(), request_key="n1")
    # Computed again after the other note: together exactly the invoice, numbers in order
    notes = [n for n in ledger.stored.values() if n.invoice.kind == "credit_note"]
    assert sorted(n.invoice.number or "" for n in notes) == ["FK000001", "FK000002"]
    assert sum(n.invoice.total for n in notes) == -invoice.invoice.total
    assert result.credit_note.number == "FK000002"


def test_what_cannot_be_credited_is_refused(world):
    ledger, _, _, _, credit = world
    invoice = _issue(world)
    note = credit("t1", invoice.invoice_id, _note(), request_key="n1").credit_note
    with pytest.raises(CreditRefused) as caught:
        credit("t1", note.id, _note(), request_key="n2")
    assert caught.value.field == "invoice_id"
    ledger.stored["split"] = replace(invoice, status="split")
    with pytest.raises(CreditRefused):
        credit("t1", "split", _note(), request_key="n3")
    with pytest.raises(PermanentError) as missing:
        credit("t1", "inv_nothing", _note(), request_key="n4")
    assert missing.value.code == "not_found"
    with pytest.raises(PermanentError) as twice:
        credit(
            "t1",
            _issue(world, "k2").invoice_id,
            _note([{"line_id": "1", "amount": 1}, {"line_id": "1", "amount": 1}]),
            request_key="n5",
        )
    assert twice.value.field == "lines[1].line_id"


def _line(quantity: str, unit_price: str, amount: int) -> InvoiceLine:
    return InvoiceLine("1", "item", "Timme", quantity, "h", unit_price, amount, "25")


@pytest.mark.parametrize(
    ("line", "quantity", "expected"),
    [
        (_line("3", "45000", 135000), "1", 45000),
        (_line("3", "45000", 135000), "3", 135000),
        (_line("1.5", "33333.33", 50000), "1.5", 50000),  # the whole line: its own rounding
        (_line("1.5", "33333.33", 50000), "0.5", 16667),
    ],
)
def test_a_quantity_credits_its_share_of_the_line(line, quantity, expected):
    assert amount_for_quantity(line, Decimal(quantity), "q") == expected


@pytest.mark.parametrize("quantity", ["0", "-1", "4", "NaN"])
def test_a_quantity_the_line_does_not_have_is_refused(quantity):
    with pytest.raises(CreditError) as caught:
        amount_for_quantity(_line("3", "45000", 135000), Decimal(quantity), "lines[0].quantity")
    assert caught.value.field == "lines[0].quantity"


def test_credit_note_numbers_have_their_own_series():
    assert format_credit_note_number("NM-", 3) == "NM-K000003"
    with pytest.raises(ValueError):
        format_credit_note_number("NM-", 0)
