"""The invoice page, email and PDF renderer: Jinja2 templates, Babel formatting, gettext catalogs.

One Jinja Environment per language is built at cold start (templates from `billing/templates`, the
catalog read from `billing/translations/<lang>/LC_MESSAGES/messages.po` and compiled in memory, so
nothing needs a manual compile step). HTML is autoescaped and undefined names fail loudly
(StrictUndefined). Money, numbers and dates are formatted by Babel for the reader's locale, which is
the invoice language with the buyer's country ("sv_SE": 1 234,50 kr; 22 nov. 2026). The PDF copy is
laid out in Python with the same catalogs and formatting (`billing.adapters.invoice_pdf`, drawn with
ReportLab: no browser in Lambda), imported at the first PDF so handlers that never render one do not
load ReportLab at their cold start.
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
from billing.domain.page.view import InvoicePageView, ReminderView

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
        from billing.adapters.invoice_pdf import render_pdf  # ReportLab and Pillow: only when a PDF is drawn

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
