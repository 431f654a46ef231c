"""The invoice page and email renderer: Jinja2 templates, Babel formatting, gettext catalogs.

One Jinja Environment per language is built at cold start (templates from `billing/templates`, the
catalog read from `billing/translations/<lang>/LC_MESSAGES/messages.po` and compiled in memory, so
nothing needs a manual compile step). HTML is autoescaped and undefined names fail loudly
(StrictUndefined). Money, numbers and dates are formatted by Babel for the reader's locale, which is
the invoice language with the buyer's country ("sv_SE": 1 234,50 kr; 22 nov. 2026).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, parse_pattern
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from billing.domain.money import exponent
from billing.domain.page.view import InvoicePageView

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
LANGUAGES = ("sv", "en")
UNIT_PRICE_DECIMALS = 4

# The page's one inline script (progressive enhancement of the forms). Its hash goes into the
# Content-Security-Policy's script-src, so the script is a fixed file and never interpolated.
PAGE_SCRIPT = (TEMPLATES_DIR / "page.js").read_text(encoding="utf-8").strip()
PAGE_SCRIPT_CSP_HASH = "sha256-" + base64.b64encode(hashlib.sha256(PAGE_SCRIPT.encode()).digest()).decode()


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def locale_for(language: str, country: str) -> Locale:
    """The Babel locale for a reader: language plus country when Babel knows the pair."""
    try:
        return Locale.parse(f"{language}_{country.upper()}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language if language in LANGUAGES else "en")


def format_money(amount: int, currency: str, locale: Locale) -> str:
    """Minor units as the locale writes money; whole amounts without decimals ("349 kr")."""
    digits = exponent(currency)
    value = Decimal(amount).scaleb(-digits)
    if amount % (10**digits) == 0:
        pattern = copy.copy(parse_pattern(locale.currency_formats["standard"].pattern))
        pattern.frac_prec = (0, 0)
        return pattern.apply(value, locale, currency=currency, currency_digits=False)
    return format_currency(value, currency, locale=locale)


def format_unit_price(minor: Decimal, currency: str, locale: Locale) -> str:
    """A unit price in minor units (maybe below one öre) in major units, every significant digit."""
    value = minor.scaleb(-exponent(currency))
    if value == value.to_integral_value():
        return format_money(int(minor), currency, locale)
    # Enough digits to show a price below one öre, not the pricing engine's full precision.
    pattern = copy.copy(parse_pattern(locale.currency_formats["standard"].pattern))
    pattern.frac_prec = (2, UNIT_PRICE_DECIMALS)
    return pattern.apply(value, locale, currency=currency, currency_digits=False)


def format_rate(rate: str, locale: Locale) -> str:
    """A VAT rate percent string ("25", "12.5") the way the locale writes a percentage."""
    pattern = copy.copy(parse_pattern(locale.percent_formats[None].pattern))
    pattern.frac_prec = (0, 2)
    return pattern.apply(Decimal(rate) / 100, locale)


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
def _date_filter(ctx: Context, day: date, form: str = "medium") -> str:
    # Named forms keep the CLDR patterns out of templates: medium "22 nov. 2026", day_month "22 nov.",
    # month "november", month_short "nov.", month_year "november 2026".
    patterns = {
        "medium": "medium",
        "long": "long",
        "day_month": "d MMM",
        "month": "LLLL",
        "month_short": "LLL",
        "month_year": "LLLL y",
    }
    return format_date(day, patterns[form], locale=_locale(ctx))


@pass_context
def _number_filter(ctx: Context, value: Decimal | int) -> str:
    return format_decimal(value, locale=_locale(ctx), decimal_quantization=False)


@pass_context
def _rate_filter(ctx: Context, rate: str) -> str:
    return format_rate(rate, _locale(ctx))


@cache
def _translations(language: str) -> Translations:
    po_path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


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
    env.filters.update(
        money=_money_filter,
        unit_price=_unit_price_filter,
        date=_date_filter,
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
