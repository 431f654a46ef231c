"""The personal blocks as rendered: present when the view has them, absent otherwise; escaping; size."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import date

import pytest

from billing.adapters.renderer import PAGE_SCRIPT, PAGE_SCRIPT_CSP_HASH, JinjaRenderer
from billing.domain.dunning.messages import ReliefOffer, build_reminder_message
from billing.domain.dunning.policy import Tone
from billing.domain.invoice import Party
from billing.domain.page import Branding, History, InvoiceState, build_invoice_page
from tests.unit.page.builders import API, TOKEN, context, invoice, line, rich_context
from tests.unit.page.html import Page
from tests.unit.page.pdfs import pdf_text

BLOCKS = (
    "block-summary",
    "block-tenure",
    "block-lines",
    "block-chart",
    "block-changes",
    "block-plan-fit",
    "block-offers",
    "block-autopay",
    "block-questions",
    "block-poll",
    "block-announcements",
    "block-details",
)
NBSP = "\xa0"
PAGE_BUDGET_GZIP = 25 * 1024


def rich_page(language: str = "sv", **kwargs: object) -> tuple[str, Page]:
    inv, ctx = rich_context(**kwargs)  # type: ignore[arg-type]
    html = JinjaRenderer().render_page(build_invoice_page(replace(inv, language=language), ctx))
    return html, Page(html)


def test_a_rich_invoice_shows_every_block() -> None:
    _, page = rich_page()
    assert [b for b in BLOCKS if not page.has(b)] == []


def test_a_plain_first_invoice_shows_only_the_blocks_with_something_to_say() -> None:
    page = Page(JinjaRenderer().render_page(build_invoice_page(invoice(), context())))
    present = {b for b in BLOCKS if page.has(b)}
    assert present == {"block-summary", "block-tenure", "block-lines", "block-questions", "block-details"}


def test_the_rich_page_says_each_block_in_swedish() -> None:
    _, page = rich_page("sv")
    assert "Tack för att du stannar hos oss" in page.text("block-tenure")
    assert "faktura nummer 23" in page.text("block-tenure")
    assert "En gratis månad per år" in page.text("loyalty-benefit")
    assert "Mobil Max" in page.text("plan-fit-advice")
    assert f"5{NBSP}100{NBSP}kr mindre per år" in page.text("plan-fit-advice")  # 4 080 kr excl. VAT
    assert "Dina senaste 12 fakturor" in page.text("block-chart")
    assert "Nytt den här gången: Extra data 5 GB" in page.text("block-changes")
    assert "Mer data i Max" in page.text("block-offers")
    assert "5G i hela Lund" in page.text("block-announcements")
    assert "Hur troligt är det att du rekommenderar oss?" in page.text("block-poll")
    assert "Du frågade 2 november 2026" in page.text("block-questions")


def test_the_rich_page_in_english() -> None:
    _, page = rich_page("en")
    assert "Thank you for staying with us" in page.text("block-tenure")
    assert "One free month a year" in page.text("loyalty-benefit")
    assert "per year than Mobil Bas (incl. VAT)" in page.text("plan-fit-advice")
    assert "Your last 12 invoices" in page.text("block-chart")


def test_the_chart_is_drawn_on_the_server_with_a_text_alternative() -> None:
    _, page = rich_page("en")
    svgs = page.attrs("svg")
    assert len(svgs) == 1
    assert svgs[0]["role"] == "img" and svgs[0]["aria-describedby"] == "chart-desc"
    assert len(page.attrs("rect")) == 12
    assert "Amounts incl. VAT from" in page.text("chart-desc")
    # The table repeats every bar's numbers for readers who cannot see the chart
    assert "November 2026" in page.text("block-chart") and f"1{NBSP}358{NBSP}kr" in page.text("block-chart")


def test_the_first_invoice_welcomes_and_explains_billing() -> None:
    page = Page(JinjaRenderer().render_page(build_invoice_page(invoice(language="en"), context())))
    assert "Welcome to Nordljus Mobil!" in page.text("block-tenure")
    assert "first invoice" in page.text("block-tenure")


def test_offer_links_go_through_the_click_recorder() -> None:
    _, page = rich_page()
    prefix = f"{API}/v1/pages/{TOKEN}/offers/"
    links = [a["href"] for a in page.attrs("a") if (a.get("href") or "").startswith(prefix)]
    assert links == [f"{API}/v1/pages/{TOKEN}/offers/max-upgrade"]


def test_the_feedback_form_posts_score_and_text() -> None:
    _, page = rich_page()
    forms = [f for f in page.attrs("form") if f.get("data-testid") == "feedback-form"]
    assert forms[0]["action"] == f"{API}/v1/pages/{TOKEN}/feedback" and forms[0]["method"] == "post"
    radios = [a for a in page.attrs("input") if a.get("type") == "radio"]
    assert [r["value"] for r in radios] == [str(n) for n in range(11)]
    assert {r["name"] for r in radios} == {"score"}


def test_an_answered_poll_thanks_instead_of_asking_again() -> None:
    inv, ctx = rich_context()
    ctx = replace(ctx, state=InvoiceState(feedback_score=8))
    page = Page(JinjaRenderer().render_page(build_invoice_page(inv, ctx)))
    assert not page.has("feedback-form")
    assert "Tack för ditt svar!" in page.text("block-poll")


def test_the_page_is_within_its_size_budget() -> None:
    # Given the richest page: 23rd invoice, every block, five lines, a question
    html, _ = rich_page()
    # Then with its CSS inline it stays within 25 KB gzip, with room to spare for longer texts
    size = len(gzip.compress(html.encode("utf-8")))
    assert size <= PAGE_BUDGET_GZIP, size
    assert size <= PAGE_BUDGET_GZIP * 0.5, f"{size} bytes: half the budget gone; check before it grows"


def test_no_external_resources_besides_the_tenant_logo_and_the_view_pixel() -> None:
    html, page = rich_page()
    assert "<link" not in html and "@import" not in html and "url(" not in html
    sources = [a["src"] for t, a in page.tags if "src" in a]
    assert sources == ["https://nordljus.example/logo.png", f"{API}/v1/pages/{TOKEN}/seen"]
    scripts = [a for t, a in page.tags if t == "script"]
    assert scripts == [{}]  # one inline script, no src


def test_the_inline_script_is_the_hashed_file_verbatim() -> None:
    # The CSP allows the script by hash: any change to the script must change the hash the lead deploys.
    html, _ = rich_page()
    assert f"<script>{PAGE_SCRIPT}</script>" in html
    assert PAGE_SCRIPT_CSP_HASH.startswith("sha256-")


def test_landmarks_lang_and_one_h1() -> None:
    html, page = rich_page("en")
    tags = [t for t, _ in page.tags]
    assert tags.count("main") == 1 and tags.count("header") == 1 and tags.count("footer") == 1
    assert tags.count("h1") == 1
    assert page.attrs("html")[0]["lang"] == "en"
    assert "@media print" in html
    labelled = {a.get("for") for a in page.attrs("label")}
    for field in [a for t, a in page.tags if t in ("textarea", "select")]:
        assert field.get("id") in labelled


# --------------------------------------------------------------------------------------------------
# Escaping: names are data, never markup


PAYLOADS = (
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</title><script>alert(2)</script>",
    "{{ 7*7 }}",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_and_script_in_customer_plan_and_tenant_names_render_inert(payload: str) -> None:
    # Given a tenant, a plan, an offer, a question and a customer all named with markup
    inv, ctx = rich_context(tenant=payload, plan_name=payload, offer_title=payload, question_text=payload)
    evil = Party(name=payload, address=(payload,), country="SE", vat_number=payload)
    inv = replace(inv, buyer=evil, seller=replace(inv.seller, name=payload))
    view = build_invoice_page(inv, ctx)
    renderer = JinjaRenderer()
    # When the page and the email are rendered
    html = renderer.render_page(view)
    email = renderer.render_email(view)
    for document in (html, email.html):
        page = Page(document)
        # Then there is no element or attribute the payload made: only our one script, no handlers
        assert [t for t, _ in page.tags if t == "script"] == ([] if document is email.html else ["script"])
        assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
        assert all(a.get("src") != "x" for a in page.attrs("img"))
        assert payload not in document or payload == "{{ 7*7 }}"
    # And the text shows the name as typed
    assert payload in Page(html).text("summary-title")
    assert payload in email.text
    assert "\n" not in email.subject


def test_a_tenant_name_with_an_ampersand_reads_right_in_every_part() -> None:
    view = build_invoice_page(
        invoice(), context(settings=replace(context().settings, branding=Branding(name="Bröd & Salt")))
    )
    email = JinjaRenderer().render_email(view)
    assert "Bröd & Salt" in email.text
    assert "Bröd &amp; Salt" in email.html
    assert Page(JinjaRenderer().render_page(view)).text("tenant-name") == "Bröd & Salt"


def test_an_overdue_rich_page_has_no_offers_but_keeps_the_question_form() -> None:
    inv, ctx = rich_context()
    page = Page(JinjaRenderer().render_page(build_invoice_page(inv, replace(ctx, today=date(2026, 12, 20)))))
    assert not page.has("block-offers")
    assert page.has("question-form")


def test_the_reminder_reads_as_the_email_did_with_local_money_and_dates() -> None:
    # Given a friendly Swedish reminder with a 60 kr fee, sent on 8 Dec
    message = build_reminder_message(
        invoice_id="inv_x",
        tone=Tone.FRIENDLY,
        currency="SEK",
        amount_minor=32_300,
        due_date_iso="2026-11-30",
        fee_minor=6_000,
        interest_minor=None,
        relief=ReliefOffer(),
    )
    state = InvoiceState(reminder=message, reminder_sent_on=date(2026, 12, 8))
    view = build_invoice_page(invoice(), context(today=date(2026, 12, 9), state=state))
    # When the page is rendered
    text = Page(JinjaRenderer().render_page(view)).text("block-reminder")
    # Then it is dated, names the invoice by its number, and formats amounts and dates the Swedish way
    assert "Vår påminnelse från 8 december 2026" in text
    assert "faktura 2026-000042" in text
    assert f"Påminnelseavgift enligt avtalet: 60{NBSP}kr." in text
    assert f"Att betala: 383{NBSP}kr." in text
    assert "förfallodag 30 november 2026" in text


def test_a_credit_note_page_and_email_say_there_is_nothing_to_pay() -> None:
    credit = invoice(
        (line("c1", "Kreditering Mobil Bas", -19_900, kind="credit"),),
        kind="credit_note",
        credited_invoice_number="2026-000041",
    )
    view = build_invoice_page(credit, context(history=History(invoice_count=5)))
    page = Page(JinjaRenderer().render_page(view))
    assert page.text("summary-title") == "Kreditfaktura"
    assert page.text("status") == "Kredit"
    assert "Den krediterar faktura 2026-000041." in page.text("block-summary")
    assert not page.has("pay-button") and not page.has("ocr")
    assert {b for b in BLOCKS if page.has(b)} == {
        "block-summary",
        "block-lines",
        "block-questions",
        "block-details",
    }
    assert JinjaRenderer().render_email(view).subject == f"En kreditering på 249{NBSP}kr från Nordljus Mobil"


def test_lines_with_nothing_used_and_nothing_charged_stay_off_the_page_but_not_off_the_pdf() -> None:
    lines = (
        line("l1", "Mobil Bas", 19_900, group="Mobil"),
        line(
            "l2",
            "Samtal till utlandet",
            0,
            kind="usage",
            quantity="0",
            unit="min",
            unit_price="119.2",
            group="Samtal",
        ),
        line("l3", "Surf (0–3 GB)", 0, kind="usage", quantity="3", unit="GB", unit_price="0", group="Mobil"),
    )
    view = build_invoice_page(invoice(lines), context())
    page = Page(JinjaRenderer().render_page(view))
    assert "Samtal" not in page.text("block-lines")  # neither the line nor its empty group
    assert "Surf (0–3 GB)" in page.text("block-lines")  # included data used: worth showing at 0 kr
    assert "Samtal till utlandet" in pdf_text(JinjaRenderer().render_pdf(view))
