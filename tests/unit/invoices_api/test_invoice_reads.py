"""The merchant's invoice reads against an in-memory store: one invoice, a customer's invoices, and an
invoice's questions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from billing.domain.invoice import PERIOD, invoice_id
from billing.services.errors import PermanentError
from billing.services.invoices.get import GetInvoice
from billing.services.invoices.list import ListInvoices
from billing.services.ports import StoredInvoice
from tests.fakes.invoices import FakeInvoiceReads
from tests.unit.page.builders import invoice

PAGES = "https://pages.example"


def _stored(tenant: str, customer: str, month: int) -> StoredInvoice:
    start = date(2026, month, 1)
    inv = invoice(
        period_start=start, invoice_id=invoice_id(tenant, customer, start, PERIOD), customer_id=customer
    )
    return StoredInvoice(
        invoice=inv, page_token=f"tok{month:02d}{customer}", status="open", amount_due=inv.amount_due
    )


def test_one_invoice_is_read_whole_in_its_tenant_and_absent_elsewhere() -> None:
    # Given one invoice of tenant t1
    reads = FakeInvoiceReads()
    stored = _stored("t1", "c1", 10)
    reads.add("t1", stored)
    get = GetInvoice(invoices=reads, pages_base_url=PAGES + "/")
    # When t1 reads it, then it comes whole, with its page's link
    found = get("t1", stored.invoice.invoice_id)
    assert found.document is not None and found.total == stored.invoice.total
    assert found.page_url == f"{PAGES}/i/{stored.page_token}"
    # And another tenant asking for the same id is told there is none
    with pytest.raises(PermanentError) as refused:
        get("t2", stored.invoice.invoice_id)
    assert (refused.value.field, refused.value.code) == ("invoice_id", "not_found")


def test_a_customers_invoices_come_newest_first_a_page_at_a_time() -> None:
    # Given five monthly invoices of c1 and one of c2 in t1
    reads = FakeInvoiceReads()
    for month in range(6, 11):
        reads.add("t1", _stored("t1", "c1", month))
    reads.add("t1", _stored("t1", "c2", 10))
    listing = ListInvoices(invoices=reads, pages_base_url=PAGES)
    # When c1's are listed two at a time, following the cursor
    seen, cursor = [], None
    for _ in range(3):
        page = listing("t1", "c1", 2, cursor)
        seen += [s.period_start for s in page.data]
        cursor = page.next_cursor
    # Then each comes once, newest period first, and the last page has no cursor
    assert seen == ["2026-10-01", "2026-09-01", "2026-08-01", "2026-07-01", "2026-06-01"]
    assert cursor is None and all(s.document is None for s in page.data)


def test_an_unknown_customer_or_a_forged_cursor_is_refused_by_name() -> None:
    reads = FakeInvoiceReads()
    reads.add("t1", _stored("t1", "c1", 10))
    listing = ListInvoices(invoices=reads, pages_base_url=PAGES)
    with pytest.raises(PermanentError) as unknown:
        listing("t2", "c1", 10, None)
    assert unknown.value.field == "customer_id"
    with pytest.raises(PermanentError) as forged:
        listing("t1", "c1", 10, "eyJub3QiOiAiYSBjdXJzb3IifQ")
    assert forged.value.field == "cursor"


def test_an_invoices_questions_are_listed_as_the_merchant_sees_them() -> None:
    # Given an invoice with one answered and one open question
    from billing.services.invoices.questions import InvoiceQuestions

    reads = FakeInvoiceReads()
    stored = replace(
        _stored("t1", "c1", 10),
        questions=(
            {
                "question_id": "q1",
                "asked_at": "2026-10-02T09:00:00+00:00",
                "text": "Varför?",
                "line_id": "L1",
                "answered_at": "2026-10-03T09:00:00+00:00",
                "answer": "Roaming.",
            },
            {"question_id": "q2", "asked_at": "2026-10-04T09:00:00+00:00", "text": "Och nu?"},
        ),
        question_open=True,
    )
    reads.add("t1", stored)
    questions = InvoiceQuestions(invoices=reads)
    # When the merchant lists them
    listed = questions.list("t1", stored.invoice.invoice_id)
    # Then both are there in asking order, the open one marked, and the invoice marked as waiting
    assert listed.invoice_open_questions is True
    assert [(q.question_id, q.open, q.answer) for q in listed.data] == [
        ("q1", False, "Roaming."),
        ("q2", True, None),
    ]
    assert listed.data[0].line_id == "L1" and listed.data[0].invoice_id == stored.invoice.invoice_id
    # And a question is found by its id; an unknown question or invoice, or another tenant's, is not
    assert questions.stored("t1", stored.invoice.invoice_id, "q2") == stored
    for tenant, wanted, question_id, field in [
        ("t1", stored.invoice.invoice_id, "q9", "question_id"),
        ("t1", "nope", None, "invoice_id"),
        ("t2", stored.invoice.invoice_id, None, "invoice_id"),
    ]:
        with pytest.raises(PermanentError) as refused:
            questions.stored(tenant, wanted, question_id)
        assert (refused.value.field, refused.value.code) == (field, "not_found")
