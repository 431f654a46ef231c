"""The invoice's PDF copy laid out: its legal content on A4, in the reader's language and locale.

The same view, catalogs and Babel formatting as the page (`billing.adapters.renderer`), drawn with
`billing.adapters.pdf_canvas` (ReportLab, fonts embedded). Imported at the first PDF render only.
"""

from __future__ import annotations

from datetime import date

from babel.support import Translations

from billing.adapters.locale_formats import date_text, format_number
from billing.adapters.pdf_canvas import A4_WIDTH, PdfDocument, wrap
from billing.adapters.renderer import (
    LANGUAGES,
    format_money,
    format_period,
    format_rate,
    format_unit_price,
    locale_for,
    translations,
)
from billing.domain.page.view import InvoicePageView, PageStatus

_LEFT = 50.0
_RIGHT = A4_WIDTH - 50
_BOTTOM = 790.0
_GREY = "#4f5962"


def _pdf_text(words: Translations, message: str, **params: object) -> str:
    """`message` translated, with %(name)s parameters filled in (the same catalogs as the page)."""
    text = words.gettext(message)
    return text % params if params else text


class _PdfLayout:
    """A cursor down the page that starts a new page when the next block would not fit."""

    def __init__(self, doc: PdfDocument, running_head: str) -> None:
        self.doc = doc
        self.running_head = running_head
        self.y = 50.0

    def need(self, height: float) -> None:
        if self.y + height > _BOTTOM:
            self.doc.new_page()
            # Which invoice a loose second page belongs to, when printed.
            self.doc.text(_LEFT, 36, f"{self.running_head} ({self.doc.page_count})", size=8, colour=_GREY)
            self.y = 56.0


def render_pdf(view: InvoicePageView) -> bytes:
    """The invoice as a PDF: parties, numbers, dates, lines by service, VAT per rate, totals, payment."""
    language = view.language if view.language in LANGUAGES else "en"
    tr = translations(language)
    loc = locale_for(view.language, view.country)

    def money(amount: int) -> str:
        return format_money(amount, view.currency, loc)

    def day(value: date) -> str:
        return date_text(value, "long", loc)

    def t(message: str, **params: object) -> str:
        return _pdf_text(tr, message, **params)

    credit = view.summary.status is PageStatus.CREDIT
    title = t("Credit note") if credit else t("Invoice")
    doc = PdfDocument(title=f"{title} {view.number or ''}".strip(), author=view.seller.name)
    out = _PdfLayout(doc, f"{view.brand.name} – {title} {view.number or ''}".strip())
    doc.box(0, 0, A4_WIDTH, 8, colour=view.brand.colour)
    doc.text(_LEFT, 56, view.brand.name, size=16, bold=True)
    doc.text(_RIGHT, 56, title, size=16, bold=True, align="right")
    if view.number:
        doc.text(_RIGHT, 72, view.number, size=10, align="right", colour=_GREY)

    # Parties, side by side
    out.y = 100
    top = out.y
    for x, label, party in ((_LEFT, t("Seller"), view.seller), (320.0, t("Customer"), view.buyer)):
        y = top
        doc.text(x, y, label, size=8, colour=_GREY)
        rows = [party.name, *party.address]
        if party.country != view.seller.country or party.country != view.buyer.country:
            rows.append(party.country)
        if party.org_number:
            rows.append(f"{t('Org. no.')} {party.org_number}")
        if party.vat_number:
            rows.append(f"{t('VAT no.')} {party.vat_number}")
        for i, row in enumerate(rows):
            for piece in wrap(row, 10, 220, bold=i == 0):
                y += 13
                doc.text(x, y, piece, size=10, bold=i == 0)
        out.y = max(out.y, y)

    # Dates and payment
    out.y += 28
    facts = []
    if view.number:
        facts.append((t("Invoice number"), view.number))
    facts.append((t("Invoice date"), day(view.issue_date)))
    facts.append((t("Due date"), day(view.due_date)))
    if view.period_start and view.period_last_day:
        facts.append((t("Period"), f"{day(view.period_start)} – {day(view.period_last_day)}"))
    if view.usage_period_start and view.usage_period_last_day:
        facts.append((t("Usage"), f"{day(view.usage_period_start)} – {day(view.usage_period_last_day)}"))
    s = view.summary
    payment = []
    if s.bankgiro and s.ocr:
        payment = [(t("Bankgiro"), s.bankgiro), (t("OCR reference"), s.ocr)]
    box_top = out.y - 12
    fact_rows = max(len(facts), len(payment) + 2)
    doc.box(_LEFT - 6, box_top, _RIGHT - _LEFT + 12, fact_rows * 15 + 14, colour="#f1f3f5")
    for i, (label, value) in enumerate(facts):
        doc.text(_LEFT, out.y + i * 15, label, size=9, colour=_GREY)
        # A long period ("1 September 2026 – 30 September 2026") stops short of the payment column.
        doc.text(_LEFT + 95, out.y + i * 15, value, size=9, fit=320 - 8 - (_LEFT + 95))
    if not credit:
        doc.text(320, out.y, t("Amount to pay"), size=9, colour=_GREY)
        doc.text(_RIGHT, out.y + 4, money(s.amount_due), size=14, bold=True, align="right")
        if s.status is PageStatus.PAID:
            doc.text(_RIGHT, out.y + 19, t("Paid"), size=9, bold=True, align="right", colour="#1b6e3a")
        for i, (label, value) in enumerate(payment, start=2):
            doc.text(320, out.y + i * 15, label, size=9, colour=_GREY)
            doc.text(_RIGHT, out.y + i * 15, value, size=9, align="right")
    out.y = box_top + fact_rows * 15 + 14 + 26

    # Lines by service
    doc.text(_LEFT, out.y, t("Description"), size=8, bold=True, colour=_GREY)
    amount_head = t("Amount incl. VAT") if view.prices_incl_vat else t("Amount excl. VAT")
    doc.text(_RIGHT, out.y, amount_head, size=8, bold=True, colour=_GREY, align="right")
    out.y += 5
    doc.line(_LEFT, out.y, _RIGHT, out.y, colour="#b0b8bf")
    for group in view.groups:
        if group.name:
            out.need(30)
            out.y += 16
            doc.text(_LEFT, out.y, group.name, size=10, bold=True)
        for item in group.lines:
            pieces = wrap(item.description, 10, 360)
            detail = None
            if item.is_usage or item.quantity != 1:
                detail = t(
                    "%(quantity)s %(unit)s at %(price)s",
                    quantity=format_number(item.quantity, loc),
                    unit=item.unit,
                    price=format_unit_price(item.shown_unit_price, view.currency, loc),
                )
            used = None
            if item.is_usage and item.period_start and item.period_last_day:
                used = t(
                    "Used in %(period)s", period=format_period(item.period_start, item.period_last_day, loc)
                )
            extra = [x for x in (detail, used, item.proration) if x]
            out.need(14 * len(pieces) + 12 * len(extra) + 6)
            out.y += 14
            doc.text(_RIGHT, out.y, money(item.shown_amount), size=10, align="right")
            for i, piece in enumerate(pieces):
                if i:
                    out.y += 13
                doc.text(_LEFT, out.y, piece, size=10)
            for note in extra:
                out.y += 12
                doc.text(_LEFT + 8, out.y, note, size=8, colour=_GREY)
    out.y += 8
    doc.line(_LEFT, out.y, _RIGHT, out.y, colour="#b0b8bf")

    # Totals
    totals = [(t("Total excl. VAT") if view.prices_incl_vat else t("Subtotal"), view.subtotal, False)]
    totals += [
        (t("VAT %(rate)s on %(base)s", rate=format_rate(v.rate, loc), base=money(v.base)), v.vat, False)
        for v in view.vat
    ]
    if view.rounding:
        totals.append((t("Rounding"), view.rounding, False))
    totals.append((t("Total"), view.total, True))
    if view.balance_applied:
        totals.append((t("Paid from your credit balance"), -view.balance_applied, False))
    out.need(16 * len(totals) + 10)
    for label, amount, strong in totals:
        out.y += 16
        doc.text(320, out.y, label, size=10, bold=strong)
        doc.text(_RIGHT, out.y, money(amount), size=10, bold=strong, align="right")

    # Notes and the way back to the page
    notes = list(view.notes)
    if view.reverse_charge:
        notes.insert(0, t("Reverse charge: you account for the VAT."))
    if view.credited_invoice_number:
        notes.insert(0, t("It credits invoice %(number)s.", number=view.credited_invoice_number))
    out.y += 14
    for note in notes:
        for piece in wrap(note, 9, _RIGHT - _LEFT):
            out.need(14)
            out.y += 12
            doc.text(_LEFT, out.y, piece, size=9, colour=_GREY)
    out.need(40)
    out.y += 26
    doc.text(_LEFT, out.y, t("See what it is for, ask a question or pay here:"), size=9, colour=_GREY)
    out.y += 13
    doc.text(_LEFT, out.y, view.page_url, size=9, colour="#0b4f8a")
    doc.link(_LEFT, out.y - 10, _RIGHT - _LEFT, 13, view.page_url)
    return doc.to_bytes()
