"""The page's typed blocks for payment trouble, relief and the customer's own controls
(billing.domain.page.customer_blocks): when each has something to say, and how the page renders it in
its place, worded from the catalogs in the reader's language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from billing.adapters.renderer import JinjaRenderer
from billing.domain.dunning.messages import ReliefOffer as ReminderRelief
from billing.domain.dunning.messages import build_reminder_message
from billing.domain.dunning.policy import Tone
from billing.domain.page import Instalment, InvoiceState, build_invoice_page
from billing.domain.page.context import AutogiroNotice, AutogiroNoticeKind
from billing.domain.page.customer_blocks import (
    CustomerBlocks,
    ExitBlock,
    PaymentNoticeBlock,
    PaymentNoticeKind,
    ReliefBlock,
    ReliefOffer,
    SpendAlertBlock,
    UsageDataBlock,
    payment_notice_block,
    relief_block,
    spend_alert_block,
)
from tests.unit.page.builders import context, invoice
from tests.unit.page.html import Page

DUE = date(2026, 11, 30)
NBSP = "\xa0"
URL = "https://api.example/v1/pages/t/relief"
OFFER = ReliefOffer(can_move=True, can_split=True, due_date=DUE)
PLAN = (
    Instalment(number=1, amount=15_700, due_date=date(2026, 12, 31), ocr="1111", paid=True),
    Instalment(number=2, amount=15_600, due_date=date(2027, 1, 31), ocr="2222"),
)


def _relief(**changes: object) -> ReliefBlock | None:
    fields: dict[str, object] = {
        "status": "open",
        "credit_note": False,
        "instalment_of": False,
        "plan": (),
        "moved": None,
        "offer": OFFER,
        "reminded": False,
        "today": date(2026, 11, 25),
        "url": URL,
    }
    return relief_block(**{**fields, **changes})  # type: ignore[arg-type]


def _page(blocks: CustomerBlocks, language: str = "sv", state: InvoiceState | None = None) -> str:
    view = build_invoice_page(invoice(language=language), context(state=state))
    return JinjaRenderer().render_page(replace(view, blocks=blocks))


# ------------------------------------------------------------------------------------ the blocks


@pytest.mark.parametrize(
    ("status", "credit_note", "charge", "fallback", "kind"),
    [
        ("open", False, "ask_customer", False, PaymentNoticeKind.ASK_CUSTOMER),
        ("open", False, "ask_customer", True, PaymentNoticeKind.ASK_CUSTOMER),
        ("open", False, None, True, PaymentNoticeKind.FALLBACK),
        ("open", False, "succeeded", False, None),
        ("paid", False, "ask_customer", True, None),
        ("open", True, "ask_customer", True, None),
    ],
)
def test_the_payment_notice_speaks_only_for_an_open_invoice_whose_charge_needs_the_customer(
    status: str, credit_note: bool, charge: str | None, fallback: bool, kind: PaymentNoticeKind | None
) -> None:
    # Given the invoice's status and its Stripe record; When the block is built
    block = payment_notice_block(
        status=status, credit_note=credit_note, charge_status=charge, fallback=fallback
    )
    # Then it says the one thing that applies, or nothing
    assert (block.kind if block else None) == kind


def test_relief_is_offered_up_front_from_a_week_before_the_due_date() -> None:
    assert _relief(today=date(2026, 11, 23)) == ReliefBlock(url=URL, offer=OFFER, later=False)
    assert _relief(today=date(2026, 11, 22)) == ReliefBlock(url=URL, offer=OFFER, later=True)


def test_relief_is_offered_up_front_once_a_reminder_went_out() -> None:
    block = _relief(today=date(2026, 11, 2), reminded=True)
    assert block is not None and not block.later


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "paid"},
        {"status": "credited"},
        {"status": "void"},
        {"credit_note": True},
        {"instalment_of": True, "plan": PLAN},
        {"offer": None},
        {"offer": ReliefOffer(can_move=False, can_split=False, due_date=DUE)},
    ],
)
def test_relief_says_nothing_when_nothing_is_offered_or_taken(changes: dict[str, object]) -> None:
    assert _relief(**changes) is None


def test_a_plan_or_a_moved_date_is_shown_in_place_however_early() -> None:
    early = date(2026, 11, 2)
    assert _relief(plan=PLAN, offer=None, status="split", today=early) == ReliefBlock(url=URL, plan=PLAN)
    moved = _relief(moved=date(2026, 12, 20), today=early)
    assert moved is not None and moved.moved == date(2026, 12, 20) and not moved.later


@pytest.mark.parametrize(
    ("threshold", "shown"), [(50_000, "500"), (49_950, "499,50"), (5, "0,05"), (None, "")]
)
def test_the_spend_alert_form_shows_the_amount_as_typed_in_swedish(threshold: int | None, shown: str) -> None:
    block = spend_alert_block(
        url="u",
        chosen=True,
        threshold=threshold,
        incl_vat=True,
        fired_on=None,
        fired_amount=None,
        period_start=None,
    )
    assert block.value == shown


def test_a_fired_spend_alert_counts_only_in_the_period_it_fired() -> None:
    def fired(on: date | None, period: date | None) -> int | None:
        return spend_alert_block(
            url="u",
            chosen=True,
            threshold=500,
            incl_vat=True,
            fired_on=on,
            fired_amount=612,
            period_start=period,
        ).fired_amount

    assert fired(date(2026, 11, 1), date(2026, 11, 1)) == 612
    assert fired(date(2026, 10, 1), date(2026, 11, 1)) is None
    assert fired(None, None) is None


# ---------------------------------------------------------------------------------- as rendered


def test_the_page_without_blocks_has_none_of_their_sections() -> None:
    page = Page(_page(CustomerBlocks()))
    for key in ("block-payment-notice", "block-relief", "block-spend-alert", "block-your-data", "block-exit"):
        assert not page.has(key)


def test_the_payment_notice_and_relief_follow_the_summary_in_swedish() -> None:
    blocks = CustomerBlocks(
        payment_notice=PaymentNoticeBlock(PaymentNoticeKind.FALLBACK),
        relief=ReliefBlock(url=URL, moved=date(2026, 12, 20), offer=replace(OFFER, can_move=False)),
    )
    html = _page(blocks)
    page = Page(html)
    # The order: summary, the note, then relief, then the lines
    order = [html.index(f'id="{key}"') for key in ("block-summary", "block-payment-notice", "block-relief")]
    assert order == sorted(order) and order[-1] < html.index('id="block-lines"')
    assert page.text("payment-notice-title") == "Automatisk betalning har upphört"
    assert page.text("due-date-moved") == "Du har flyttat förfallodagen till 20 december 2026."
    assert page.text("relief-intro") == (
        "Du kan själv välja att dela upp beloppet i delbetalningar. "
        "Ingen del förfaller före 30 november 2026."
    )


def test_relief_follows_the_reminder_when_there_is_one_and_waits_by_the_questions_early_on() -> None:
    message = build_reminder_message(
        invoice_id="inv",
        tone=Tone.FRIENDLY,
        currency="SEK",
        amount_minor=31_300,
        due_date_iso=DUE.isoformat(),
        fee_minor=0,
        interest_minor=None,
        relief=ReminderRelief(),
    )
    state = InvoiceState(reminder=message, reminder_sent_on=date(2026, 12, 5))
    html = _page(CustomerBlocks(relief=ReliefBlock(url=URL, offer=OFFER)), state=state)
    assert (
        html.index('id="block-reminder"') < html.index('id="block-relief"') < html.index('id="block-lines"')
    )
    later = _page(CustomerBlocks(relief=ReliefBlock(url=URL, offer=OFFER, later=True)), language="en")
    assert re.search(r'data-later="true">\s*<h2[^>]*>Need more time\?</h2>', later)
    assert later.index('id="block-relief"') < later.index('id="block-questions"')


def test_the_instalment_plan_lists_each_part_with_its_ocr_reference() -> None:
    page = Page(_page(CustomerBlocks(relief=ReliefBlock(url=URL, plan=PLAN)), language="en"))
    assert page.text("instalments") == (
        f"Part 1: 157{NBSP}kr · Paid Due date: 31 December 2026 OCR reference: 1111 "
        f"Part 2: 156{NBSP}kr · To pay Due date: 31 January 2027 OCR reference: 2222"
    )


def test_the_customers_controls_come_before_the_details_in_their_language() -> None:
    blocks = CustomerBlocks(
        spend_alert=SpendAlertBlock(
            url="https://a/s", threshold=49_950, default=True, incl_vat=False, fired_amount=52_000
        ),
        usage_data=UsageDataBlock(url="https://a/u", months=(date(2026, 11, 1), date(2026, 10, 1))),
        exit=ExitBlock(url="https://a/x", pause_start=date(2026, 12, 1), pause_end=date(2027, 2, 1)),
    )
    html = _page(blocks)
    page = Page(html)
    keys = ("block-spend-alert", "block-your-data", "block-exit", "block-details")
    order = [html.index(f'id="{key}"') for key in keys]
    assert order == sorted(order)
    assert page.text("spend-alert-state") == (
        f"Vi mejlar dig en gång när en månads faktura passerar 499,50{NBSP}kr (exkl. moms). "
        "Det här är Nordljus Mobils förval. Du kan ändra eller ta bort det."
    )
    assert page.text("spend-alert-fired").startswith(
        f"Den här perioden har redan passerat beloppet (520{NBSP}kr)"
    )
    assert 'value="499,50"' in html and page.has("spend-alert-remove")
    assert page.text("usage-month") == "november 2026oktober 2026"
    assert '<option value="2026-10">' in html
    assert page.text("invoice-pause") == (
        "Pausat: ingen avgift från 1 december 2026. Abonnemanget startar igen av sig självt 1 februari 2027."
    )
    assert page.text("exit-link") == "Avsluta abonnemanget"


def test_a_spend_alert_not_set_offers_the_form_without_the_remove_button() -> None:
    blocks = CustomerBlocks(
        spend_alert=SpendAlertBlock(url="https://a/s", threshold=None, default=True, incl_vat=True)
    )
    page = Page(_page(blocks, language="en"))
    assert page.text("spend-alert-state").startswith("No alert is set.")
    assert page.text("spend-alert-form").startswith("Tell me when this month passes (kr, incl. VAT)")
    assert not page.has("spend-alert-remove")


@pytest.mark.parametrize(
    ("notice", "language", "said"),
    [
        (
            AutogiroNotice(AutogiroNoticeKind.WAITING, "ignored"),
            "sv",
            "Ditt Autogiro-medgivande väntar på godkännande från din bank.",
        ),
        (
            AutogiroNotice(AutogiroNoticeKind.WAITING),
            "en",
            "Your Autogiro mandate is waiting for your bank's approval.",
        ),
        (
            AutogiroNotice(AutogiroNoticeKind.REJECTED, "fel konto", "wrong account"),
            "sv",
            "Ditt Autogiro-medgivande godkändes inte: fel konto",
        ),
        (
            AutogiroNotice(AutogiroNoticeKind.REJECTED, "fel konto"),
            "en",
            "Your Autogiro mandate was not approved.",
        ),
        (
            AutogiroNotice(AutogiroNoticeKind.CANCELLED, None, "closed account"),
            "en",
            "Autogiro has ended: closed account",
        ),
        (AutogiroNotice(AutogiroNoticeKind.CANCELLED), "sv", "Autogiro är avslutat."),
        (
            AutogiroNotice(AutogiroNoticeKind.FAILED, "Täckning saknades.", "No funds."),
            "en",
            "The Autogiro debit could not be made: No funds.",
        ),
        (AutogiroNotice(AutogiroNoticeKind.FAILED, "", ""), "sv", "Autogiro-dragningen kunde inte göras."),
        # Bankgirot's reason by its catalog key (billing.domain.autogiro.outcomes): worded by the catalog
        (
            AutogiroNotice(
                AutogiroNoticeKind.FAILED,
                message="The debit failed because there was not enough money in the account.",
            ),
            "sv",
            "Autogiro-dragningen kunde inte göras: Dragningen kunde inte göras eftersom det inte fanns"
            " tillräckligt med pengar på kontot.",
        ),
        (
            AutogiroNotice(
                AutogiroNoticeKind.REJECTED,
                message="The account number is wrong. Please check the clearing number and account number.",
            ),
            "en",
            "Your Autogiro mandate was not approved: The account number is wrong. Please check the clearing"
            " number and account number.",
        ),
    ],
)
def test_the_autogiro_notice_is_worded_by_the_catalogs_with_the_banks_reason_in_the_readers_language(
    notice: AutogiroNotice, language: str, said: str
) -> None:
    # Given Bankgirot's word on the mandate or the debit; When the page is rendered in the language
    page = Page(_page(CustomerBlocks(), language=language, state=InvoiceState(payment_notice=notice)))
    # Then the summary says it in that language, the reason after the colon only when given in it
    assert page.text("payment-notice-text") == said
