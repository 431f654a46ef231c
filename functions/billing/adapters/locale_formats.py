"""Money, numbers and dates as a locale writes them: Babel's CLDR patterns, read once per locale.

Babel's `NumberPattern.apply` looks up the locale's symbols, the currency's symbol, its long name and
plural rules on every call, and `format_date` its month names: half of a page's render time went there
(issue 13). A `NumberShape` reads all of that once per (locale, currency, pattern) and then only groups
digits. It is used only where it writes exactly what Babel writes: when built, it formats a set of
probe values both ways, and a shape that differs on any (a pattern this code does not know: long
currency names, significant digits, scientific notation) hands every call to Babel instead. Dates are
few per run (the issue date, due dates, periods), so their text is kept per (day, pattern, locale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    NumberPattern,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)

_QUOTED = re.compile(r"'([^']*)'")
# Positive and negative, whole and fractional, with every grouping width up to ten digits.
_PROBES = tuple(
    Decimal(text)
    for text in (
        "0", "1", "-1", "7.5", "-0.35", "12", "999", "1000", "-1000", "12345.67", "-12345.6",
        "100000", "1234567", "-987654321.01", "1000000000", "0.0001", "2.5E+3", "42.000",
    )
)  # fmt: skip


def _unquote(text: str) -> str:
    # As Babel does: text in single quotes is literal, a doubled quote is one quote.
    return _QUOTED.sub(lambda m: m.group(1) or "'", text)


@dataclass(frozen=True)
class NumberShape:
    """One number pattern of one locale, with its symbols and (for money) its currency resolved."""

    locale: Locale
    pattern: NumberPattern
    currency: str | None  # money in this currency; None: a plain number
    currency_digits: bool  # money with the currency's CLDR precision, not the pattern's
    natural: bool  # plain numbers: as many decimals as the value has (Babel's decimal_quantization=False)
    prefixes: tuple[str, str]
    suffixes: tuple[str, str]
    group: str
    decimal: str
    exact: bool  # True once the probes matched Babel; False: every call goes to Babel

    def format(self, value: Decimal) -> str:
        if not self.exact:
            return self._babel(value)
        negative = int(value.is_signed())
        magnitude = abs(value).normalize()
        low, high = self.pattern.frac_prec
        if self.currency is not None and self.currency_digits:
            low = high = get_currency_precision(self.currency)
        exponent = magnitude.as_tuple().exponent
        if not isinstance(exponent, int):
            return self._babel(value)  # infinity or not a number: Babel's own symbols
        if self.natural:
            high = max(high, -exponent)
        whole, _, fraction = f"{magnitude.quantize(Decimal(1).scaleb(-high)):f}".partition(".")
        fraction = fraction.ljust(low, "0")
        while len(fraction) > low and fraction.endswith("0"):
            fraction = fraction[:-1]
        if high == 0 or (low == 0 and not fraction.strip("0")):
            fraction = ""
        number = self._grouped(whole.rjust(self.pattern.int_prec[0], "0"))
        if fraction:
            number += self.decimal + fraction
        return self.prefixes[negative] + number + self.suffixes[negative]

    def _grouped(self, digits: str) -> str:
        size, rest, out = self.pattern.grouping[0], self.pattern.grouping[1], ""
        while len(digits) > size:
            out = self.group + digits[-size:] + out
            digits, size = digits[:-size], rest
        return digits + out

    def _babel(self, value: Decimal) -> str:
        if self.currency is not None:
            return self.pattern.apply(
                value, self.locale, currency=self.currency, currency_digits=self.currency_digits
            )
        return self.pattern.apply(value, self.locale, decimal_quantization=not self.natural)


def _resolved(text: str, currency: str | None, locale: Locale) -> str:
    if currency is not None and "¤" in text:
        text = text.replace("¤¤", currency.upper()).replace("¤", get_currency_symbol(currency, locale))
    return _unquote(text)


@cache
def number_shape(
    locale: Locale,
    pattern: NumberPattern,
    currency: str | None = None,
    *,
    currency_digits: bool = True,
    natural: bool = False,
) -> NumberShape:
    """The shape of `pattern` in `locale`, checked against Babel on the probe values."""
    simple = (
        not pattern.exp_prec
        and "@" not in pattern.pattern
        and pattern.scale == 0
        and not any("¤¤¤" in p for p in (*pattern.prefix, *pattern.suffix))
    )
    positive, negative = (_resolved(p, currency, locale) for p in pattern.prefix)
    after, after_negative = (_resolved(p, currency, locale) for p in pattern.suffix)
    shape = NumberShape(
        locale=locale,
        pattern=pattern,
        currency=currency,
        currency_digits=currency_digits,
        natural=natural,
        prefixes=(positive, negative),
        suffixes=(after, after_negative),
        group=get_group_symbol(locale),
        decimal=get_decimal_symbol(locale),
        exact=simple,
    )
    if simple and any(shape.format(v) != shape._babel(v) for v in _PROBES):
        shape = replace(shape, exact=False)
    return shape


@cache
def decimal_pattern(locale: Locale) -> NumberPattern:
    """The locale's plain number pattern ("#,##0.###")."""
    return parse_pattern(locale.decimal_formats[None].pattern)


def format_number(value: Decimal | int, locale: Locale) -> str:
    """A quantity with as many decimals as it has, grouped as the locale groups digits
    (Babel's `format_decimal(value, locale=locale, decimal_quantization=False)`)."""
    if isinstance(value, int):
        value = Decimal(value)
    elif not isinstance(value, Decimal):
        return format_decimal(value, locale=locale, decimal_quantization=False)
    return number_shape(locale, decimal_pattern(locale), natural=True).format(value)


@lru_cache(maxsize=4096)
def date_text(day: date, pattern: str, locale: Locale) -> str:
    """`format_date(day, pattern, locale)`: a run formats the same few dates on every page."""
    return format_date(day, pattern, locale=locale)
