"""The page's money, numbers and dates are written exactly as Babel writes them, in every locale."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, parse_pattern

from billing.adapters.locale_formats import date_text, format_number, number_shape
from billing.adapters.renderer import _pattern, format_money, locale_for

# Our two languages with the countries customers live in, and locales with other habits: Swiss
# apostrophe groups, Indian two-digit groups, Arabic signs, the currency sign before the number.
LOCALES = [
    *(
        locale_for(lang, country)
        for lang in ("sv", "en")
        for country in ("SE", "FI", "NO", "DK", "DE", "US", "GB", "CH", "IN")
    ),
    *(Locale.parse(name) for name in ("de_CH", "hi_IN", "ar_EG", "fr_FR", "nl_NL", "ja_JP", "fa_IR")),
]
CURRENCIES = ["SEK", "EUR", "USD", "JPY", "BHD", "CHF"]


def _amounts() -> list[int]:
    rnd = random.Random(13)
    fixed = [0, 1, -1, 35, -35, 100, 12345, -12345, 99999999, 100000000, 123456789012]
    return fixed + [rnd.randrange(-(10**12), 10**12) for _ in range(200)]


@pytest.mark.parametrize("locale", LOCALES, ids=str)
def test_money_is_written_as_babel_writes_it(locale: Locale) -> None:
    # Given amounts in minor units, whole and not, positive and negative
    for currency in CURRENCIES:
        for amount in _amounts():
            digits = {"JPY": 0, "BHD": 3}.get(currency, 2)
            value = Decimal(amount).scaleb(-digits)
            whole = amount % (10**digits) == 0
            # When formatted through the locale's shape, Then the text is Babel's, to the character
            expected = (
                _pattern(locale, "currency", (0, 0)).apply(
                    value, locale, currency=currency, currency_digits=False
                )
                if whole
                else _pattern(locale, "currency", None).apply(value, locale, currency=currency)
            )
            assert format_money(amount, currency, locale).replace("\u2212", "-") == expected.replace(
                "\u2212", "-"
            ), (
                locale,
                currency,
                amount,
            )


@pytest.mark.parametrize("locale", LOCALES, ids=str)
def test_quantities_are_written_as_babel_writes_them(locale: Locale) -> None:
    rnd = random.Random(7)
    values = [
        Decimal(0),
        Decimal("-0"),
        Decimal("0.0001"),
        Decimal("1E+3"),
        Decimal("12.500"),
        Decimal(10**15),
    ]
    values += [Decimal(rnd.randrange(-(10**9), 10**9)).scaleb(-rnd.randrange(0, 6)) for _ in range(200)]
    for value in values:
        assert format_number(value, locale) == format_decimal(
            value, locale=locale, decimal_quantization=False
        )
    assert format_number(1234567, locale) == format_decimal(
        1234567, locale=locale, decimal_quantization=False
    )


def test_a_pattern_this_code_does_not_know_goes_to_babel() -> None:
    # Given a pattern with the currency's long name (plural rules) and one in scientific notation
    locale = Locale.parse("sv_SE")
    long_name = number_shape(locale, parse_pattern("#,##0.00 ¤¤¤"), "SEK")
    scientific = number_shape(locale, parse_pattern("0.###E0"))
    # Then neither is taken over, and both write what Babel writes
    assert not long_name.exact and not scientific.exact
    assert long_name.format(Decimal("2.50")) == "2,50 svenska kronor"
    assert scientific.format(Decimal(1234)) == parse_pattern("0.###E0").apply(Decimal(1234), locale)


def test_dates_are_babels() -> None:
    for locale in LOCALES:
        for pattern in ("long", "medium", "LLLL y", "d MMM", "LLL"):
            day = date(2026, 11, 22)
            assert date_text(day, pattern, locale) == format_date(day, pattern, locale=locale)
