"""The tenant's unanswered questions (ListOpenQuestions) against in-memory questions and invoices."""

from __future__ import annotations

from datetime import date

import pytest

from billing.domain.invoice import PERIOD, invoice_id
from billing.services.errors import PermanentError
from billing.services.invoices.open_questions import ListOpenQuestions, encode_position
from billing.services.ports import StoredInvoice
from tests.fakes.invoices import FakeInvoiceReads
from tests.fakes.questions import FakeOpenQuestions
from tests.unit.page.builders import invoice

PAGES = "https://pages.example/"


def _stored(tenant: str, customer: str, month: int) -> StoredInvoice:
    start = date(2026, month, 1)
    inv = invoice(
        period_start=start, invoice_id=invoice_id(tenant, customer, start, PERIOD), customer_id=customer
    )
    return StoredInvoice(
        invoice=inv, page_token=f"tok{month:02d}{customer}", status="open", amount_due=inv.amount_due
    )


def _world() -> tuple[FakeOpenQuestions, FakeInvoiceReads, list[StoredInvoice]]:
    questions, invoices = FakeOpenQuestions(), FakeInvoiceReads()
    stored = [_stored("t1", "c1", 10), _stored("t1", "c2", 11)]
    for s in stored:
        invoices.add("t1", s)
    for n, (s, day) in enumerate([(stored[0], "03"), (stored[1], "05"), (stored[0], "07")]):
        questions.ask("t1", s.invoice_id, f"q{n}", f"2026-11-{day}T10:00:00+00:00", f"Fråga {n}?")
    return questions, invoices, stored


def test_questions_come_newest_first_with_their_invoice_customer_and_page() -> None:
    # Given three open questions on two invoices of t1, and one of another tenant's
    questions, invoices, stored = _world()
    questions.ask("t2", stored[0].invoice_id, "other", "2026-11-09T10:00:00+00:00", "Inte er fråga")
    listed = ListOpenQuestions(questions=questions, invoices=invoices, pages_base_url=PAGES)
    # When t1 lists them
    result = listed("t1", 10, None)
    # Then newest first, each with what answering it needs, and none of t2's
    assert [q.question_id for q in result.data] == ["q2", "q1", "q0"]
    first = result.data[0]
    assert (first.invoice_id, first.customer_id, first.invoice_number) == (
        stored[0].invoice_id,
        "c1",
        stored[0].invoice.number,
    )
    assert first.page_url == f"https://pages.example/i/{stored[0].page_token}" and first.text == "Fråga 2?"
    assert result.next_cursor is None


def test_the_queue_order_pages_oldest_first_by_cursor_and_an_answered_one_leaves() -> None:
    questions, invoices, _ = _world()
    listed = ListOpenQuestions(questions=questions, invoices=invoices, pages_base_url=PAGES)
    # When support works oldest first, two at a time
    first = listed("t1", 2, None, order="oldest")
    assert [q.question_id for q in first.data] == ["q0", "q1"] and first.next_cursor is not None
    # And answers q1 before asking for the next page
    questions.answer("t1", "q1")
    second = listed("t1", 2, first.next_cursor, order="oldest")
    # Then the next page goes on after q1's place: q2, and no more
    assert [q.question_id for q in second.data] == ["q2"] and second.next_cursor is None


def test_a_question_whose_invoice_was_erased_is_left_out() -> None:
    questions, invoices, stored = _world()
    del invoices.invoices[("t1", stored[1].invoice_id)]  # erased (docs/privacy.md)
    result = ListOpenQuestions(questions=questions, invoices=invoices, pages_base_url=PAGES)("t1", 10, None)
    assert [q.question_id for q in result.data] == ["q2", "q0"]


def test_a_forged_cursor_and_an_unknown_order_are_refused_by_name() -> None:
    questions, invoices, stored = _world()
    listed = ListOpenQuestions(questions=questions, invoices=invoices, pages_base_url=PAGES)
    for cursor in ("not-base64!", encode_position("2026-11-03#t2#anything"), encode_position("x" * 30)):
        with pytest.raises(PermanentError) as refused:
            listed("t1", 10, cursor)
        assert refused.value.field == "cursor"
    with pytest.raises(PermanentError) as refused:
        listed("t1", 10, None, order="random")
    assert refused.value.field == "order"
    # A cursor this API gave out is accepted
    position = f"2026-11-05T10:00:00+00:00#{stored[1].invoice_id}#q1"
    assert [q.question_id for q in listed("t1", 10, encode_position(position)).data] == ["q0"]
