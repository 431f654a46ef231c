"""The PDF copy of the invoice: the legal facts as selectable text, embedded fonts, stable bytes, pages."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from billing.adapters.pdf_canvas import A4_HEIGHT, A4_WIDTH, PdfDocument, printable, text_width, wrap
from billing.adapters.renderer import JinjaRenderer
from billing.domain.page import build_invoice_page
from tests.unit.page.builders import context, invoice, line, rich_context
from tests.unit.page.pdfs import pdf_reader, pdf_text, spaced

PAGE_URL = "https://pages.example.test/i/tok_0123456789abcdefABCDEF"
# The facts a customer, a bookkeeper and the tax agency look for, per language.
FACTS = {
    "sv": (
        "Faktura",
        "2026-000042",
        "Nordljus Mobil AB",
        "Momsreg.nr SE556677889901",
        "Org.nr 556677-8899",
        "Anna Svensson",
        "Förfallodatum",
        "30 november 2026",
        "Bankgiro",
        "5050-1055",
        "OCR-nummer",
        "4200000000427",
        "Att betala",
        "1\xa0358\xa0kr",
        "Summa exkl. moms",
        "1\xa0086\xa0kr",
        "Moms 25\xa0% på 1\xa0086\xa0kr",
        "271,50\xa0kr",
        "Totalt",
        "Fiber 100",
        "10 GB à 61,25\xa0kr",  # 49 kr excl. VAT: a consumer is shown prices incl. VAT
        "Belopp inkl. moms",
        PAGE_URL,
    ),
    "en": (
        "Invoice",
        "2026-000042",
        "VAT no. SE556677889901",
        "Due date",
        "30 November 2026",
        "OCR reference",
        "4200000000427",
        "Amount to pay",
        "1\xa0358\xa0kr",
        "Total excl. VAT",
        "VAT 25\xa0% on 1\xa0086\xa0kr",
        "271,50\xa0kr",
        "Total",
        "Amount incl. VAT",
        PAGE_URL,
    ),
}


def _fonts(reader: PdfReader) -> list[DictionaryObject]:
    fonts = []
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        fonts += [f.get_object() for f in resources.get("/Font", DictionaryObject()).get_object().values()]
    return fonts


def _rich_pdf(language: str) -> bytes:
    inv, ctx = rich_context()
    return JinjaRenderer().render_pdf(build_invoice_page(replace(inv, language=language), ctx))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_pdf_carries_the_invoices_legal_facts_as_text(language: str) -> None:
    # Given the rich invoice in Swedish or English
    pdf = _rich_pdf(language)
    # When a reader extracts its text
    reader = pdf_reader(pdf)
    text = pdf_text(pdf)
    # Then it is one A4 page with the number, dates, OCR, lines, VAT per rate and totals, readable
    assert len(reader.pages) == 1
    assert [round(float(v), 2) for v in reader.pages[0].mediabox] == [0, 0, 595.28, 841.89]
    for fact in FACTS[language]:
        assert spaced(fact) in text, fact
    # And the page's address is a link
    annots = [a.get_object() for a in reader.pages[0]["/Annots"]]
    assert [a["/A"]["/URI"] for a in annots] == [PAGE_URL]


def test_the_fonts_are_embedded_and_no_reader_font_is_assumed() -> None:
    # Given the rich invoice's PDF
    fonts = _fonts(pdf_reader(_rich_pdf("sv")))
    # Then each font it uses is a TrueType subset with its glyphs embedded (FontFile2) and a map back
    # to Unicode, and none is one of the base-14 fonts a reader would substitute
    assert {f["/BaseFont"].split("+", 1)[1] for f in fonts} == {
        "BitstreamVeraSans-Roman",
        "BitstreamVeraSans-Bold",
    }
    for font in fonts:
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        assert "/ToUnicode" in font
    assert not re.search(rb"/BaseFont\s*/(Helvetica|Times|Courier|Symbol|ZapfDingbats)", _rich_pdf("en"))


def test_swedish_letters_the_euro_and_the_minus_sign_read_back_as_typed() -> None:
    # Given a buyer whose name has letters WinAnsi-era PDFs mangled, and a credit shown with a minus
    buyer = replace(invoice().buyer, name="Åsa Öberg-Ärlig € ≠ →")
    view = build_invoice_page(invoice(buyer=buyer), context())
    # When the PDF is rendered and read back
    text = pdf_text(JinjaRenderer().render_pdf(view))
    # Then the letters and the euro sign are there; a character the font lacks is a visible '?'
    assert "Åsa Öberg-Ärlig € ≠ ?" in text
    assert printable("\u2212349 kr") == "\u2212349 kr"
    assert printable("1\u202f000\u2009kr") == "1\xa0000 kr"
    assert printable("日本") == "??"


def test_the_same_invoice_gives_the_same_bytes() -> None:
    # Given one view, When it is rendered twice (a retried run, a republished page)
    inv, ctx = rich_context()
    view = build_invoice_page(inv, ctx)
    first, second = JinjaRenderer().render_pdf(view), JinjaRenderer().render_pdf(view)
    # Then the files are byte for byte the same: no creation time, no random document id
    assert first == second
    assert b"D:20000101000000" in first  # ReportLab's invariant date


_RENDER_IN_A_NEW_PROCESS = """
import hashlib
from billing.adapters.renderer import JinjaRenderer
from billing.domain.page import build_invoice_page
from tests.unit.page.builders import rich_context
print(hashlib.sha256(JinjaRenderer().render_pdf(build_invoice_page(*rich_context()))).hexdigest())
"""


def test_a_retry_in_another_process_stores_the_same_bytes() -> None:
    # Given the PDF rendered here
    inv, ctx = rich_context()
    here = hashlib.sha256(JinjaRenderer().render_pdf(build_invoice_page(inv, ctx))).hexdigest()
    # When another process (another Lambda instance, another hash seed) renders the same invoice
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": f"{root / 'functions'}{os.pathsep}{root}"}
    done = subprocess.run(
        [sys.executable, "-c", _RENDER_IN_A_NEW_PROCESS], env=env, capture_output=True, text=True, check=True
    )
    # Then the bytes are the same
    assert done.stdout.strip() == here


def test_a_long_invoice_flows_onto_more_pages_with_every_line() -> None:
    # Given 120 lines in twelve groups
    lines = tuple(
        line(f"l{i}", f"Tjänst nummer {i}", 1_000 + i, group=f"Grupp {i // 10}") for i in range(120)
    )
    pdf = JinjaRenderer().render_pdf(build_invoice_page(invoice(lines), context()))
    # Then they run over three pages or more, every line is there, and a loose page names its invoice
    reader = pdf_reader(pdf)
    assert len(reader.pages) >= 3
    text = pdf_text(pdf)
    assert all(f"Tjänst nummer {i}\n" in text for i in range(120))
    assert "Nordljus Mobil – Faktura 2026-000042 (2)" in reader.pages[1].extract_text()


def test_names_with_pdf_syntax_are_shown_as_text() -> None:
    buyer = replace(invoice().buyer, name="Anna (test) \\ ) Tj ET BT")
    pdf = JinjaRenderer().render_pdf(build_invoice_page(invoice(buyer=buyer), context()))
    assert "Anna (test) \\ ) Tj ET BT" in pdf_text(pdf)


def test_a_value_too_wide_for_its_column_is_condensed_to_fit() -> None:
    # Given a text 1.25 times as wide as the room it is given
    doc = PdfDocument("x")
    text = "1 September 2026 – 30 September 2026"
    room = text_width(text, 9) / 1.25
    # When it is drawn with that room, and once without
    doc.text(100, 100, text, size=9, fit=room)
    doc.text(100, 120, text, size=9)
    content = pdf_reader(doc.to_bytes()).pages[0].get_contents().get_data()  # type: ignore[union-attr]
    # Then the first is scaled horizontally to 80 %, the second drawn as it is
    assert re.findall(rb"([\d.]+) Tz", content) == [b"80"]
    assert content.count(b"Tj") == 2


def test_wrapping_keeps_words_whole_and_cuts_only_a_word_too_long_for_a_line() -> None:
    assert wrap("en två tre", 10, text_width("en två", 10)) == ["en två", "tre"]
    pieces = wrap("x" * 100, 10, 50)
    assert "".join(pieces) == "x" * 100 and all(text_width(p, 10) <= 50 for p in pieces)
    assert wrap("", 10, 50) == [""]
    # Bold is wider than regular, as measured from the embedded fonts
    assert text_width("Faktura", 10, bold=True) > text_width("Faktura", 10) > 0


def test_an_empty_document_is_still_a_valid_a4_pdf() -> None:
    reader = pdf_reader(PdfDocument("x").to_bytes())
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(A4_WIDTH)
    assert reader.pages[0].mediabox.height == pytest.approx(A4_HEIGHT)


def test_documents_saved_at_once_in_one_process_take_turns_at_the_shared_fonts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given ReportLab's font subsetting, which moves one read position over the font file every
    # document shares, watched for two saves inside it at once (and slowed to make that likely)
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from reportlab.pdfbase.ttfonts import TTFontFile

    inside, most, guard = [0], [0], threading.Lock()
    real = TTFontFile.makeSubset

    def watched(self, subset):  # type: ignore[no-untyped-def]
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.005)
        try:
            return real(self, subset)
        finally:
            with guard:
                inside[0] -= 1

    monkeypatch.setattr(TTFontFile, "makeSubset", watched)
    inv, ctx = rich_context()
    view = build_invoice_page(inv, ctx)
    # When eight threads render the same invoice at once
    with ThreadPoolExecutor(8) as pool:
        pdfs = list(pool.map(lambda _: JinjaRenderer().render_pdf(view), range(8)))
    # Then no two subsets were made at once, and every copy is the same file
    assert most[0] == 1
    assert len(set(pdfs)) == 1
