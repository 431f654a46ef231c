"""The invoice page's view-model, without Jinja: summary, status, lines, VAT, parties, questions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.page import (
    Branding,
    Instalment,
    InvoiceState,
    LocalText,
    OfferRule,
    PageError,
    PageLinks,
    PageSettings,
    PageStatus,
    Question,
    build_invoice_page,
)
from tests.unit.page.builders import API, CUSTOMER, PAGE, TOKEN, context, invoice, line


def test_an_unpaid_invoice_shows_amount_due_date_bankgiro_ocr_and_pay_link() -> None:
    # Given an invoice issued today and not paid
    inv = invoice()
    # When the page is built
    view = build_invoice_page(inv, context(today=date(2026, 11, 2)))
    # Then the summary says unpaid, what to pay, when, and how
    s = view.summary
    assert s.status is PageStatus.UNPAID
    assert s.amount_due == inv.amount_due == 32_300
    assert s.due_date == date(2026, 11, 30)
    assert (s.bankgiro, s.ocr) == ("5050-1055", inv.ocr)
    assert s.pay_url == f"{API}/v1/pages/{TOKEN}/pay"
    assert s.payable


def test_after_the_due_date_the_invoice_is_overdue_with_the_days_late() -> None:
    # Given an unpaid invoice due on 30 Nov, looked at on 3 Dec
    view = build_invoice_page(invoice(), context(today=date(2026, 12, 3)))
    # Then it is overdue by three days and still payable
    assert view.summary.status is PageStatus.OVERDUE
    assert view.summary.days_overdue == 3
    assert view.summary.payable


def test_on_the_due_date_itself_the_invoice_is_not_yet_overdue() -> None:
    view = build_invoice_page(invoice(), context(today=date(2026, 11, 30)))
    assert view.summary.status is PageStatus.UNPAID


def test_a_paid_invoice_shows_paid_on_and_offers_no_payment_means() -> None:
    # Given the whole amount was paid on 10 Nov
    state = InvoiceState(amount_paid=32_300, paid_on=date(2026, 11, 10))
    # When the page is built after the due date
    view = build_invoice_page(invoice(), context(today=date(2026, 12, 5), state=state))
    # Then it is paid (never overdue), with nothing left to pay and no way to pay again
    s = view.summary
    assert s.status is PageStatus.PAID
    assert s.amount_due == 0
    assert s.paid_on == date(2026, 11, 10)
    assert (s.pay_url, s.bankgiro, s.ocr) == (None, None, None)
    assert not s.payable


def test_a_partly_paid_invoice_asks_only_for_the_rest() -> None:
    state = InvoiceState(amount_paid=10_000)
    view = build_invoice_page(invoice(), context(state=state))
    assert view.summary.status is PageStatus.UNPAID
    assert view.summary.amount_due == 22_300
    assert view.summary.amount_paid == 10_000


def test_an_invoice_paid_from_the_credit_balance_is_paid() -> None:
    inv = invoice()
    inv = replace(inv, balance_applied=inv.total, amount_due=0)
    view = build_invoice_page(inv, context())
    assert view.summary.status is PageStatus.PAID
    assert view.balance_applied == inv.total


def test_a_scheduled_debit_says_when_and_hides_the_pay_button() -> None:
    # Given automatic payment will take the amount on the due date
    state = InvoiceState(debit_date=date(2026, 11, 30), autopay_active=True)
    view = build_invoice_page(invoice(), context(state=state))
    # Then the status says so, and there is nothing for the customer to do
    assert view.summary.status is PageStatus.DEBIT_SCHEDULED
    assert view.summary.debit_date == date(2026, 11, 30)
    assert view.summary.pay_url is None
    assert view.summary.ocr is None


def test_a_debit_date_in_the_past_that_did_not_pay_leaves_the_invoice_overdue() -> None:
    state = InvoiceState(debit_date=date(2026, 11, 30))
    view = build_invoice_page(invoice(), context(today=date(2026, 12, 2), state=state))
    assert view.summary.status is PageStatus.OVERDUE
    assert view.summary.debit_date is None


def test_a_moved_due_date_is_the_one_the_page_asks_for() -> None:
    # Given the customer moved the 30 Nov due date to 14 Dec
    state = InvoiceState(due_date_moved_to=date(2026, 12, 14))
    # When they look on 5 Dec, Then it is not overdue: it is due on the day they chose
    s = build_invoice_page(invoice(), context(today=date(2026, 12, 5), state=state)).summary
    assert (s.status, s.due_date, s.days_overdue) == (PageStatus.UNPAID, date(2026, 12, 14), 0)
    assert s.pay_url is not None
    # And after that day it is overdue, counted from it
    late = build_invoice_page(invoice(), context(today=date(2026, 12, 17), state=state)).summary
    assert (late.status, late.days_overdue) == (PageStatus.OVERDUE, 3)


PLAN = (
    Instalment(1, 10_768, date(2026, 12, 3), "9010000004244", paid=True),
    Instalment(2, 10_766, date(2027, 1, 3), "9020000004240"),
    Instalment(3, 10_766, date(2027, 2, 3), "9030000004246"),
)


def test_a_split_invoice_asks_for_the_next_part_with_its_own_reference() -> None:
    # Given the customer split the invoice in three and paid the first part
    state = InvoiceState(instalments=PLAN)
    # When they look on 20 Dec
    s = build_invoice_page(invoice(), context(today=date(2026, 12, 20), state=state)).summary
    # Then the page asks for part 2 of 3, by its date, with its OCR; not the whole amount by 30 Nov
    assert (s.instalment, s.instalments) == (2, 3)
    assert (s.status, s.amount_due, s.due_date, s.ocr) == (
        PageStatus.UNPAID,
        10_766,
        date(2027, 1, 3),
        "9020000004240",
    )
    assert s.bankgiro == "5050-1055"
    # And no card button without the part's own link (the parent's would charge the whole invoice)
    assert s.pay_url is None
    # With it, the card button pays just that part
    linked = tuple(replace(p, token=f"tok_part{p.number}_0123456789") for p in PLAN)
    paid_by_card = build_invoice_page(
        invoice(), context(today=date(2026, 12, 20), state=InvoiceState(instalments=linked))
    ).summary
    assert paid_by_card.pay_url == f"{API}/v1/pages/tok_part2_0123456789/pay"


def test_a_late_part_makes_the_split_invoice_overdue_from_that_part_s_date() -> None:
    state = InvoiceState(instalments=PLAN)
    s = build_invoice_page(invoice(), context(today=date(2027, 1, 8), state=state)).summary
    assert (s.status, s.instalment, s.days_overdue) == (PageStatus.OVERDUE, 2, 5)


def test_a_split_invoice_with_every_part_paid_is_paid() -> None:
    state = InvoiceState(instalments=tuple(replace(part, paid=True) for part in PLAN))
    s = build_invoice_page(invoice(), context(today=date(2027, 2, 5), state=state)).summary
    assert (s.status, s.amount_due, s.instalment, s.pay_url) == (PageStatus.PAID, 0, None, None)


def test_a_credit_note_has_nothing_to_pay() -> None:
    credit = invoice(
        (line("c1", "Kreditering Mobil Bas", -19_900, kind="credit"),),
        kind="credit_note",
        credited_invoice_number="2026-000041",
    )
    view = build_invoice_page(credit, context())
    assert view.summary.status is PageStatus.CREDIT
    assert view.summary.amount_due == 0
    assert view.summary.pay_url is None
    assert view.credited_invoice_number == "2026-000041"


def test_lines_are_grouped_by_service_in_invoice_order_with_group_sums() -> None:
    # Given lines of two services, interleaved
    lines = (
        line("a", "Mobil Bas", 19_900, group="Mobile"),
        line("b", "Fiber 100", 29_900, group="Broadband"),
        line("c", "Mobildata", 5_900, group="Mobile", kind="usage", quantity="12.4", unit="GB"),
    )
    view = build_invoice_page(invoice(lines), context())
    # Then each service is one group, in the order its first line appears, with the group's sum
    assert [g.name for g in view.groups] == ["Mobile", "Broadband"]
    assert [x.line_id for x in view.groups[0].lines] == ["a", "c"]
    assert view.groups[0].amount == 25_800
    usage = view.groups[0].lines[1]
    assert usage.is_usage and usage.quantity == Decimal("12.4") and usage.unit == "GB"


def test_vat_totals_and_legal_details_come_from_the_invoice() -> None:
    lines = (line("a", "Tidning", 10_000, vat_rate="6"), line("b", "Mobil", 20_000))
    inv = invoice(lines)
    view = build_invoice_page(inv, context())
    assert [(v.rate, v.base, v.vat) for v in view.vat] == [("25", 20_000, 5_000), ("6", 10_000, 600)]
    assert (view.subtotal, view.vat_total, view.rounding, view.total) == (
        inv.subtotal,
        inv.vat_total,
        inv.rounding,
        inv.total,
    )
    assert view.seller.vat_number == "SE556677889901"
    assert view.seller.org_number == "556677-8899"
    assert view.number == "2026-000042"
    assert view.period_start == date(2026, 11, 1)
    assert view.period_last_day == date(2026, 11, 30)


def test_questions_post_to_the_page_api_and_asked_questions_are_listed() -> None:
    # Given one answered and one open question, the open one about a line
    asked = (
        Question("q2", datetime(2026, 11, 5, 9, tzinfo=UTC), "Why so much data?", line_id="l2"),
        Question(
            "q1",
            datetime(2026, 11, 3, 9, tzinfo=UTC),
            "Hello?",
            answered_at=datetime(2026, 11, 4, tzinfo=UTC),
            answer="Hi!",
        ),
    )
    view = build_invoice_page(invoice(), context(state=InvoiceState(questions=asked)))
    q = view.questions
    # Then the form posts to the API, every line can be chosen, and both questions show, oldest first
    assert q.form_url == f"{API}/v1/pages/{TOKEN}/questions"
    assert q.line_choices == (("l1", "Mobil Bas"), ("l2", "Mobildata"))
    assert [x.text for x in q.asked] == ["Hello?", "Why so much data?"]
    assert q.asked[1].line_description == "Mobildata"
    assert q.awaiting_answer
    assert view.seen_url == f"{API}/v1/pages/{TOKEN}/seen"
    assert view.page_url == PAGE


def test_without_questions_nothing_awaits_an_answer() -> None:
    view = build_invoice_page(invoice(), context())
    assert view.questions.asked == ()
    assert not view.questions.awaiting_answer


def test_an_unknown_language_falls_back_to_english() -> None:
    view = build_invoice_page(invoice(language="de"), context())
    assert view.language == "en"


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#abc;}body{x", "#GGGGGG"])
def test_a_brand_colour_that_is_not_rrggbb_is_refused(colour: str) -> None:
    with pytest.raises(PageError) as err:
        Branding(name="X", colour=colour)
    assert err.value.field == "branding.colour"


@pytest.mark.parametrize(
    ("colour", "text"),
    [("#ffffff", "#000000"), ("#000000", "#ffffff"), ("#1f5f8b", "#ffffff"), ("#ffd700", "#000000")],
)
def test_text_on_the_brand_colour_is_black_or_white_whichever_contrasts_more(colour: str, text: str) -> None:
    assert Branding(name="X", colour=colour).on_colour == text


def test_a_javascript_logo_url_is_refused() -> None:
    with pytest.raises(PageError) as err:
        Branding(name="X", logo_url="javascript:alert(1)")
    assert err.value.field == "branding.logo_url"


def test_page_links_refuse_a_short_token_and_trim_the_api_slash() -> None:
    with pytest.raises(PageError):
        PageLinks(token="short", page_url=PAGE, api_base=API)
    links = PageLinks(token=TOKEN, page_url=PAGE, api_base=API + "/")
    assert links.api("seen") == f"{API}/v1/pages/{TOKEN}/seen"


def test_a_negative_amount_paid_is_refused() -> None:
    with pytest.raises(PageError) as err:
        build_invoice_page(invoice(), context(state=InvoiceState(amount_paid=-1)))
    assert err.value.field == "state.amount_paid"


@settings(max_examples=200, deadline=None)
@given(
    paid=st.integers(min_value=0, max_value=40_000),
    days_after_issue=st.integers(min_value=0, max_value=90),
    debit_offset=st.one_of(st.none(), st.integers(min_value=-40, max_value=40)),
)
def test_the_status_always_matches_what_is_left_to_pay_and_the_dates(
    paid: int, days_after_issue: int, debit_offset: int | None
) -> None:
    # Given any payment so far, any day of looking, and maybe a scheduled debit
    inv = invoice()
    today = inv.issue_date + timedelta(days=days_after_issue)
    debit = None if debit_offset is None else inv.due_date + timedelta(days=debit_offset)
    offer = OfferRule("o", LocalText.of("Offer"), LocalText.of("..."), "https://x.example/")
    ctx = context(
        today=today,
        state=InvoiceState(amount_paid=paid, debit_date=debit),
        settings=PageSettings(branding=Branding(name="T"), offers=(offer,)),
    )
    view = build_invoice_page(inv, ctx)
    s = view.summary
    left = max(inv.amount_due - paid, 0)
    # Then the status, the amount and the ways to pay agree with each other
    assert s.amount_due == left
    assert (s.status is PageStatus.PAID) == (left == 0)
    if s.status is PageStatus.OVERDUE:
        assert today > inv.due_date and view.offers == ()
    if s.status is PageStatus.DEBIT_SCHEDULED:
        assert debit is not None and debit >= today
    assert (s.pay_url is not None) == s.payable == (s.status in (PageStatus.UNPAID, PageStatus.OVERDUE))


def test_a_question_is_dated_on_the_customers_own_calendar() -> None:
    # Given a question at 23:30 UTC on 4 Nov, which is 00:30 on 5 Nov in Stockholm
    asked = (Question("q", datetime(2026, 11, 4, 23, 30, tzinfo=UTC), "Hej?"),)
    view = build_invoice_page(invoice(), context(state=InvoiceState(questions=asked), customer=CUSTOMER))
    assert view.questions.asked[0].asked_on == date(2026, 11, 5)
