"""The invoice page, email and PDF renderer: Jinja2 templates, Babel formatting, gettext catalogs.

One Jinja Environment per language is built at cold start (templates from `billing/templates`, the
catalog read from `billing/translations/<lang>/LC_MESSAGES/messages.po` and compiled in memory, so
nothing needs a manual compile step). HTML is autoescaped and undefined names fail loudly
(StrictUndefined). Money, numbers and dates are formatted by Babel for the reader's locale, which is
the invoice language with the buyer's country ("sv_SE": 1 234,50 kr; 22 nov. 2026). The PDF copy is
laid out here in Python with the same catalogs and drawn by `billing.domain.page.pdf` (no browser in
Lambda).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, parse_pattern
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from billing.adapters.locale_formats import date_text, format_number, number_shape
from billing.domain.money import exponent, round_minor
from billing.domain.page.pdf import A4_WIDTH, PdfDocument, wrap
from billing.domain.page.view import InvoicePageView, PageStatus, ReminderView

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
LANGUAGES = ("sv", "en")
UNIT_PRICE_DECIMALS = 2

# The page's one inline script (progressive enhancement of the forms). Its hash goes into the
# Content-Security-Policy's script-src, so the script is a fixed file and never interpolated.
PAGE_SCRIPT = (TEMPLATES_DIR / "page.js").read_text(encoding="utf-8").strip()
PAGE_SCRIPT_CSP_HASH = "sha256-" + base64.b64encode(hashlib.sha256(PAGE_SCRIPT.encode()).digest()).decode()


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def locale_for(language: str, country: str) -> Locale:
    """The Babel locale for a reader: language plus country when Babel knows the pair."""
    try:
        return Locale.parse(f"{language}_{country.upper()}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language if language in LANGUAGES else "en")


@cache
def _pattern(locale: Locale, kind: str, frac_prec: tuple[int, int] | None) -> NumberPattern:
    # Parsed once per locale and precision: formatting is the bulk of a page's render time.
    source = locale.currency_formats["standard"] if kind == "currency" else locale.percent_formats[None]
    pattern = copy.copy(parse_pattern(source.pattern))
    if frac_prec is not None:
        pattern.frac_prec = frac_prec
    return pattern


MINUS = "\u2212"  # typographic minus: "−0,35 kr", not a hyphen (Swedish and English typesetting)
# Currencies whose minor unit has a name people say ("35 öre"): a unit price below one krona reads
# better in öre than as "0,35 kr".
MINOR_UNIT_NAMES = {"SEK": "öre"}


def _minus(text: str) -> str:
    return text.replace("-", MINUS, 1) if text.lstrip("\u200e\u200f").startswith(("-", "\u200e-")) else text


def format_money(amount: int, currency: str, locale: Locale) -> str:
    """Minor units as the locale writes money; whole amounts without decimals ("349 kr")."""
    digits = exponent(currency)
    value = Decimal(amount).scaleb(-digits)
    if amount % (10**digits) == 0:
        whole = number_shape(locale, _pattern(locale, "currency", (0, 0)), currency, currency_digits=False)
        return _minus(whole.format(value))
    return _minus(number_shape(locale, _pattern(locale, "currency", None), currency).format(value))


def format_unit_price(minor: Decimal, currency: str, locale: Locale) -> str:
    """A unit price in minor units (maybe fractional): at most two decimals, as prices are written.
    Below one major unit, in the minor unit's name where it has one ("35 öre", "0,4 öre"); else in
    major units rounded to two decimals ("1,19 kr")."""
    digits = exponent(currency)
    value = minor.scaleb(-digits)
    if value == value.to_integral_value():
        return format_money(int(minor), currency, locale)
    name = MINOR_UNIT_NAMES.get(currency.upper())
    if name and digits and abs(value) < 1:
        shown = format_number(minor.quantize(Decimal("0.01")).normalize(), locale)
        return _minus(f"{shown}\xa0{name}")
    # Whole öre (two decimals) is what a price list shows; round_minor keeps the one rounding rule.
    return (
        format_money(round_minor(minor), currency, locale)
        if digits == 2
        else _minus(
            _pattern(locale, "currency", (2, UNIT_PRICE_DECIMALS)).apply(
                value, locale, currency=currency, currency_digits=False
            )
        )
    )


def format_rate(rate: str, locale: Locale) -> str:
    """A VAT rate percent string ("25", "12.5") the way the locale writes a percentage."""
    return _pattern(locale, "percent", (0, 2)).apply(Decimal(rate) / 100, locale)


def _locale(ctx: Context) -> Locale:
    loc = ctx.get("locale")
    if not isinstance(loc, Locale):
        raise TypeError("templates need a Babel `locale` in their context")
    return loc


@pass_context
def _money_filter(ctx: Context, amount: int, currency: str | None = None) -> str:
    return format_money(amount, currency or ctx["view"].currency, _locale(ctx))


@pass_context
def _unit_price_filter(ctx: Context, minor: Decimal, currency: str | None = None) -> str:
    return format_unit_price(minor, currency or ctx["view"].currency, _locale(ctx))


@pass_context
def _date_filter(ctx: Context, day: date, form: str = "long") -> str:
    # Named forms keep the CLDR patterns out of templates: long (the default: month names in full,
    # as Swedish prose writes dates) "22 november 2026", medium "22 nov. 2026", day_month "22 nov.",
    # month "november", month_short "nov.", month_year "november 2026".
    patterns = {
        "medium": "medium",
        "long": "long",
        "day_month": "d MMM",
        "month": "LLLL",
        "month_short": "LLL",
        "month_year": "LLLL y",
    }
    if form == "month_abbr":
        # Chart labels: three letters, no dot ("jan", "mars" -> "mar"), so twelve fit a phone's width.
        return date_text(day, "LLL", _locale(ctx)).rstrip(".")[:3]
    return date_text(day, patterns[form], _locale(ctx))


def format_period(start: date, last_day: date, locale: Locale) -> str:
    """A period as people say it: a whole calendar month is "november 2026"; within one month
    "1–15 november 2026"; else both days in full."""
    whole_month = start.day == 1 and (last_day + timedelta(days=1)).day == 1 and start.month == last_day.month
    if whole_month and start.year == last_day.year:
        return date_text(start, "LLLL y", locale)
    return f"{date_text(start, 'long', locale)} – {date_text(last_day, 'long', locale)}"


@pass_context
def _period_filter(ctx: Context, start: date, last_day: date) -> str:
    return format_period(start, last_day, _locale(ctx))


@pass_context
def _number_filter(ctx: Context, value: Decimal | int) -> str:
    return format_number(value, _locale(ctx))


@pass_context
def _rate_filter(ctx: Context, rate: str) -> str:
    return format_rate(rate, _locale(ctx))


_REMINDER_MONEY = frozenset({"amount", "fee", "interest", "total"})
_REMINDER_DATES = frozenset({"due_date", "latest_due_date"})


def reminder_paragraphs(reminder: ReminderView, view: InvoicePageView) -> list[str]:
    """The reminder's paragraphs in the reader's language, money and dates formatted for the locale.

    The keys and parameters are the dunning rules' own (billing.domain.dunning.messages) and the words
    the catalogs', so the page says exactly what the reminder email said.
    """
    loc = locale_for(view.language, view.country)
    language = view.language if view.language in LANGUAGES else "en"
    params: dict[str, str] = {}
    for key, value in reminder.params.items():
        if key in _REMINDER_MONEY and isinstance(value, int):
            params[key] = format_money(value, view.currency, loc)
        elif key in _REMINDER_DATES:
            params[key] = date_text(date.fromisoformat(str(value)), "long", loc)
        elif key == "invoice_id" and view.number:
            params[key] = view.number  # the number the customer sees, not our internal id
        else:
            params[key] = str(value)
    words = translations(language)
    # A key the catalog no longer knows (a retired paragraph of a stored reminder) is left out rather
    # than shown as its key.
    return [words.gettext(key) % params for key in reminder.body_keys if reminder_key_known(words, key)]


def reminder_key_known(words: Translations, key: str) -> bool:
    """The dunning rules name their sentences by key (`dunning.reminder.total`); the catalogs hold
    them under that key, and an unknown key comes back from gettext unchanged."""
    return words.gettext(key) != key


@pass_context
def _reminder_paragraphs(ctx: Context, reminder: ReminderView) -> list[str]:
    return reminder_paragraphs(reminder, ctx["view"])


@cache
def _translations(language: str) -> Translations:
    po_path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def translations(language: str) -> Translations:
    """The gettext catalog of one language (the mails' words too); a language we lack reads English."""
    return _translations(language if language in LANGUAGES else "en")


@cache
def environment(language: str) -> Environment:
    """The Environment for one language, built once per process."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        # Every template is escaped; the plain-text ones (email text and subject) switch it off inside
        # with {% autoescape false %}, so "&" stays "&" there and nothing else can forget to escape.
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["reminder_paragraphs"] = _reminder_paragraphs
    env.filters.update(
        money=_money_filter,
        unit_price=_unit_price_filter,
        date=_date_filter,
        period=_period_filter,
        number=_number_filter,
        rate=_rate_filter,
    )
    return env


_WHITESPACE = re.compile(r"[\x00-\x20\x7f]+")  # ASCII whitespace and controls; NBSP stays


class JinjaRenderer:
    """Renders an `InvoicePageView` as the page (HTML) and as the invoice email (subject, text, html)."""

    def _context(self, view: InvoicePageView) -> dict[str, Any]:
        return {
            "view": view,
            "locale": locale_for(view.language, view.country),
            "page_script": Markup(PAGE_SCRIPT),  # noqa: S704 - a fixed file of ours, hashed into the CSP
        }

    def _env(self, view: InvoicePageView) -> Environment:
        return environment(view.language if view.language in LANGUAGES else "en")

    def render_page(self, view: InvoicePageView) -> str:
        return self._env(view).get_template("invoice.html.j2").render(self._context(view))

    def render_pdf(self, view: InvoicePageView) -> bytes:
        """The PDF copy stored next to the page (`i/<token>.pdf`) and linked from it."""
        return render_pdf(view)

    def render_email(self, view: InvoicePageView) -> RenderedEmail:
        env = self._env(view)
        context = self._context(view)
        subject = env.get_template("email_subject.txt.j2").render(context)
        # One line, no control characters: names come from tenants and customers.
        subject = _WHITESPACE.sub(" ", subject).strip()
        return RenderedEmail(
            subject=subject,
            text=env.get_template("email_invoice.txt.j2").render(context),
            html=env.get_template("email_invoice.html.j2").render(context),
        )


# --------------------------------------------------------------------------------------------------
# The PDF copy: the invoice's legal content on A4, in the reader's language and locale.

_LEFT = 50.0
_RIGHT = A4_WIDTH - 50
_BOTTOM = 790.0
_GREY = "#4f5962"


def _pdf_text(translations: Translations, message: str, **params: object) -> str:
    """`message` translated, with %(name)s parameters filled in (the same catalogs as the page)."""
    text = translations.gettext(message)
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
            self.doc.text(_LEFT, 36, f"{self.running_head} ({len(self.doc.pages)})", size=8, colour=_GREY)
            self.y = 56.0


def render_pdf(view: InvoicePageView) -> bytes:
    """The invoice as a PDF: parties, numbers, dates, lines by service, VAT per rate, totals, payment."""
    language = view.language if view.language in LANGUAGES else "en"
    tr = _translations(language)
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
        doc.text(_LEFT + 95, out.y + i * 15, value, size=9)
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
