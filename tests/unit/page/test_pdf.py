"""The PDF copy of the invoice: a valid file, the legal facts in it, stable bytes, many pages."""

from __future__ import annotations

import re
import zlib
from dataclasses import replace

from billing.adapters.renderer import JinjaRenderer
from billing.domain.page import build_invoice_page
from billing.domain.page.pdf import PdfDocument, encode, text_width, wrap
from tests.unit.page.builders import context, invoice, line, rich_context

NBSP = "\xa0"


def _streams(pdf: bytes) -> list[bytes]:
    return [zlib.decompress(m) for m in re.findall(rb"stream\n(.*?)\nendstream", pdf, flags=re.S)]


def _texts(pdf: bytes) -> str:
    """Every string shown with Tj, decoded, in drawing order."""
    shown = []
    for stream in _streams(pdf):
        for raw in re.findall(rb"\((.*?)(?<!\\)\) Tj", stream):
            unescaped = re.sub(rb"\\(.)", rb"\1", raw)
            shown.append(unescaped.decode("cp1252"))
    return "\n".join(shown)


def _check_structure(pdf: bytes) -> int:
    """The cross-reference table points at each object; returns the page count."""
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[start:])
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)
    return len(re.findall(rb"/Type /Page ", pdf))


def test_the_pdf_carries_the_invoices_legal_facts_in_swedish() -> None:
    # Given the rich invoice in Swedish
    inv, ctx = rich_context()
    pdf = JinjaRenderer().render_pdf(build_invoice_page(inv, ctx))
    # Then it is one valid A4 page with parties, numbers, dates, lines, VAT and payment details
    assert _check_structure(pdf) == 1
    text = _texts(pdf)
    for fact in (
        "Faktura",
        "2026-000042",
        "Nordljus Mobil AB",
        "Momsreg.nr SE556677889901",
        "Org.nr 556677-8899",
        "Anna Svensson",
        "Förfallodatum",
        "30 november 2026",
        "5050-1055",
        "4200000000427",
        f"1{NBSP}358{NBSP}kr",
        f"Moms 25{NBSP}% på 1{NBSP}086{NBSP}kr",
        "Fiber 100",
        f"10 GB à 61,25{NBSP}kr",  # 49 kr excl. VAT: a consumer is shown prices incl. VAT
        "Belopp inkl. moms",
        "https://pages.example.test/i/tok_0123456789abcdefABCDEF",
    ):
        assert fact in text, fact
    assert b"/URI (https://pages.example.test/i/tok_0123456789abcdefABCDEF)" in pdf


def test_the_english_pdf_and_a_paid_invoice() -> None:
    view = build_invoice_page(
        invoice(language="en"), context(state=replace(context().state, amount_paid=32_300))
    )
    text = _texts(JinjaRenderer().render_pdf(view))
    assert "Invoice" in text and "Due date" in text and "Paid" in text
    assert "OCR reference" not in text  # nothing left to pay, so no payment details


def test_the_same_invoice_gives_the_same_bytes() -> None:
    inv, ctx = rich_context()
    view = build_invoice_page(inv, ctx)
    assert JinjaRenderer().render_pdf(view) == JinjaRenderer().render_pdf(view)


def test_a_long_invoice_flows_onto_more_pages_with_every_line() -> None:
    lines = tuple(
        line(f"l{i}", f"Tjänst nummer {i}", 1_000 + i, group=f"Grupp {i // 10}") for i in range(120)
    )
    pdf = JinjaRenderer().render_pdf(build_invoice_page(invoice(lines), context()))
    assert _check_structure(pdf) >= 3
    text = _texts(pdf)
    assert all(f"Tjänst nummer {i}" in text for i in range(120))


def test_names_with_pdf_syntax_are_shown_as_text() -> None:
    buyer = replace(invoice().buyer, name="Anna (test) \\ ) Tj ET BT")
    pdf = JinjaRenderer().render_pdf(build_invoice_page(invoice(buyer=buyer), context()))
    _check_structure(pdf)
    assert "Anna (test) \\ ) Tj ET BT" in _texts(pdf)


def test_text_is_measured_with_helvetica_widths() -> None:
    # Helvetica: H 722, e 556, l 222, o 556 per 1000 units
    assert text_width("Hello", 10) == (722 + 556 + 222 + 222 + 556) / 100
    assert text_width("Hello", 10, bold=True) > text_width("Hello", 10)


def test_wrapping_keeps_words_whole_and_cuts_only_a_word_too_long_for_a_line() -> None:
    assert wrap("en två tre", 10, text_width("en två", 10)) == ["en två", "tre"]
    pieces = wrap("x" * 100, 10, 50)
    assert "".join(pieces) == "x" * 100 and all(text_width(p, 10) <= 50 for p in pieces)
    assert wrap("", 10, 50) == [""]


def test_characters_outside_winansi_degrade_visibly_and_minus_signs_survive() -> None:
    assert encode("åäö é –") == "åäö é –".encode("cp1252")
    assert encode("\u2212349 kr") == b"-349 kr"
    assert encode("日本") == b"??"


def test_an_empty_document_is_still_a_valid_pdf() -> None:
    assert _check_structure(PdfDocument("x").to_bytes()) == 1
