"""The page and email as rendered by Jinja: key facts in the reader's language and locale."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel import Locale

from billing.adapters.renderer import (
    JinjaRenderer,
    environment,
    format_money,
    format_rate,
    format_unit_price,
    locale_for,
)
from billing.domain.page import InvoiceState, build_invoice_page
from tests.unit.page.builders import API, PAGE, TOKEN, context, invoice
from tests.unit.page.html import Page

NBSP = "\xa0"
SV = Locale.parse("sv_SE")
EN = Locale.parse("en_SE")


def render(language: str = "sv", **ctx: object) -> Page:
    view = build_invoice_page(invoice(language=language), context(**ctx))  # type: ignore[arg-type]
    return Page(JinjaRenderer().render_page(view))


@pytest.mark.parametrize(
    ("amount", "locale", "text"),
    [
        (123_450, SV, f"1{NBSP}234,50{NBSP}kr"),
        (34_900, SV, f"349{NBSP}kr"),
        (-34_900, SV, f"\u2212349{NBSP}kr"),
        (5, SV, f"0,05{NBSP}kr"),
        (123_450, EN, f"1{NBSP}234,50{NBSP}kr"),
        (123_450, Locale.parse("en"), "SEK1,234.50"),
    ],
)
def test_money_is_formatted_by_locale_and_whole_amounts_have_no_decimals(
    amount: int, locale: Locale, text: str
) -> None:
    assert format_money(amount, "SEK", locale) == text


def test_unit_prices_have_two_decimals_at_most_and_read_in_ore_below_one_krona() -> None:
    assert format_unit_price(Decimal("0.5"), "SEK", SV) == f"0,5{NBSP}öre"
    assert format_unit_price(Decimal("475.8064516"), "SEK", SV) == f"4,76{NBSP}kr"
    assert format_unit_price(Decimal("2500"), "SEK", SV) == f"25{NBSP}kr"


def test_vat_rates_read_as_percentages() -> None:
    assert format_rate("25", SV) == f"25{NBSP}%"
    assert format_rate("12.5", Locale.parse("en")) == "12.5%"


def test_the_locale_is_language_plus_buyer_country_when_babel_knows_it() -> None:
    assert str(locale_for("en", "SE")) == "en_SE"
    assert str(locale_for("sv", "XX")) == "sv"


def test_the_page_shows_the_summary_facts_in_swedish() -> None:
    # Given a Swedish customer's unpaid invoice
    page = render("sv")
    # Then the key facts are there, formatted the Swedish way
    assert page.text("amount-due") == f"323{NBSP}kr"
    assert page.text("due-date") == "Förfaller 30 november 2026"
    assert page.text("status") == "Obetald"
    assert page.text("ocr") == "4200000000427"
    assert page.text("bankgiro") == "5050-1055"
    assert page.text("tenant-name") == "Nordljus Mobil"
    assert "Anna Svensson" in page.text("summary-title")
    assert page.text("total") == f"323{NBSP}kr"
    assert page.text("invoice-number") == "2026-000042"
    assert page.attrs("html")[0]["lang"] == "sv"


def test_the_page_shows_the_summary_facts_in_english() -> None:
    page = render("en")
    assert page.text("due-date") == "Due on 30 November 2026"
    assert page.text("status") == "Unpaid"
    assert page.attrs("html")[0]["lang"] == "en"


def test_lines_show_usage_tied_to_amounts_and_vat_per_rate() -> None:
    page = render("en")
    lines = page.text("block-lines")
    assert "Mobile data" not in lines  # the description is the invoice's own text
    assert "12.4 GB at" not in lines  # en_SE writes decimals with a comma
    # A consumer: unit price and amount incl. 25 % VAT (4,7581 kr and 59 kr excl.), two decimals at most
    assert f"12,4 GB at 5,95{NBSP}kr" in lines
    assert f"73,75{NBSP}kr" in lines
    assert f"VAT 25{NBSP}% on 258{NBSP}kr" in lines
    assert "Rounding" in lines


def test_legal_details_name_seller_and_buyer_with_numbers() -> None:
    page = render("sv")
    assert "Nordljus Mobil AB" in page.text("seller")
    assert "Momsreg.nr SE556677889901" in page.text("seller")
    assert "Org.nr 556677-8899" in page.text("seller")
    assert "Anna Svensson" in page.text("buyer")
    assert page.text("issue-date") == "1 november 2026"


def test_the_question_form_posts_to_the_api_and_the_view_pixel_counts_views() -> None:
    page = render("sv")
    forms = [f for f in page.attrs("form") if f.get("data-testid") == "question-form"]
    assert forms and forms[0]["method"] == "post"
    assert forms[0]["action"] == f"{API}/v1/pages/{TOKEN}/questions"
    names = {a.get("name") for t, a in page.tags if t in ("textarea", "select")}
    assert names == {"text", "line_id"}
    pixels = [i for i in page.attrs("img") if i.get("src") == f"{API}/v1/pages/{TOKEN}/seen"]
    assert pixels == [
        {"class": "pixel", "src": f"{API}/v1/pages/{TOKEN}/seen", "alt": "", "width": "1", "height": "1"}
    ]
    # Without JavaScript the API redirects to the page's #question-sent, which CSS shows
    assert page.has("question-sent")


def test_every_form_field_has_a_label() -> None:
    page = render("sv")
    labelled = {a.get("for") for a in page.attrs("label")}
    fields = [
        a for t, a in page.tags if t in ("textarea", "select") or (t == "input" and a.get("type") != "hidden")
    ]
    for field in fields:
        assert field.get("id") in labelled or field.get("type") == "radio", field


def test_a_paid_page_thanks_and_hides_every_way_to_pay() -> None:
    page = render("en", state=InvoiceState(amount_paid=32_300, paid_on=date(2026, 11, 10)))
    assert page.text("status") == "Paid"
    assert not page.has("pay-button")
    assert not page.has("ocr")
    assert "Paid on 10 November 2026" in page.text("block-summary")


def test_an_overdue_page_says_how_late_gently() -> None:
    page = render("en", today=date(2026, 12, 3))
    assert page.text("status") == "Overdue"
    assert "3 days ago" in page.text("due-date")
    assert page.has("pay-button")


def test_the_email_has_a_personal_subject_text_and_html_with_the_link() -> None:
    # Given an English customer's November invoice
    view = build_invoice_page(invoice(language="en"), context())
    # When the email is rendered
    email = JinjaRenderer().render_email(view)
    # Then the subject names month, amount and due date, and both parts carry the page link
    assert email.subject == f"Your November invoice: 323{NBSP}kr, due 30 Nov"
    assert PAGE in email.text and PAGE in email.html
    assert "Hello Anna Svensson," in email.text
    assert "&amp;" not in email.text


def test_the_swedish_email_subject() -> None:
    view = build_invoice_page(invoice(language="sv"), context())
    email = JinjaRenderer().render_email(view)
    assert email.subject == f"Din faktura för november: 323{NBSP}kr, förfaller 30 nov."


def test_the_email_subject_is_one_line_whatever_the_names() -> None:
    view = build_invoice_page(invoice(language="en", kind="credit_note", amount_due=-100), context())
    email = JinjaRenderer().render_email(view)
    assert "\n" not in email.subject and "\r" not in email.subject


def test_the_environment_escapes_html_and_fails_on_undefined_names() -> None:
    env = environment("en")
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ nope }}").render()


def test_the_html_email_carries_amount_due_date_and_bank_details() -> None:
    view = build_invoice_page(invoice(language="sv"), context())
    html = Page(JinjaRenderer().render_email(view).html)
    text = html.text("email")
    assert f"323{NBSP}kr" in text and "30 november 2026" in text
    assert "5050-1055" in text and "4200000000427" in text
    assert [a["href"] for a in html.attrs("a")] == [PAGE, PAGE]
    assert html.attrs("html")[0]["lang"] == "sv"


def test_a_split_invoice_s_summary_names_the_part_and_offers_no_card_button() -> None:
    from billing.domain.page import Instalment

    plan = (
        Instalment(1, 10_768, date(2026, 12, 3), "9010000004244", paid=True),
        Instalment(2, 10_766, date(2027, 1, 3), "9020000004240"),
    )
    page = render("sv", today=date(2026, 12, 20), state=InvoiceState(instalments=plan))
    assert page.text("instalment-due") == "Del 2 av 2 att betala"
    assert page.text("ocr") == "9020000004240"
    assert page.text("amount-due") == f"107,66{NBSP}kr"
    assert not page.has("pay-button")
    english = render("en", today=date(2026, 12, 20), state=InvoiceState(instalments=plan))
    assert english.text("instalment-due") == "Part 2 of 2 to pay"


def test_refunds_are_listed_with_their_credit_notes_on_a_paid_invoice() -> None:
    from billing.domain.page import CreditNoteRef

    state = InvoiceState(
        amount_paid=32_300,
        paid_on=date(2026, 11, 10),
        credit_notes=(
            CreditNoteRef("2026-000042-K1", 1_000, date(2026, 11, 12)),
            CreditNoteRef("2026-000042-K2", 31_300, date(2026, 11, 20)),
        ),
    )
    page = render("sv", today=date(2026, 11, 21), state=state)
    listed = page.text("credit-notes")
    assert f"Återbetalt 10{NBSP}kr den 12 november 2026 (kreditnota 2026-000042-K1)." in listed
    assert f"Återbetalt 313{NBSP}kr den 20 november 2026 (kreditnota 2026-000042-K2)." in listed
    english = render("en", today=date(2026, 11, 21), state=state)
    assert "credit note 2026-000042-K2" in english.text("credit-notes")
    assert not render("sv", today=date(2026, 11, 21)).has("credit-notes")
