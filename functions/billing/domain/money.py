"""Money arithmetic: integer minor units outside a calculation, `Decimal` inside, one rounding rule.

The rounding rule (also in docs/pricing.md): every amount that leaves a calculation is rounded once,
half away from zero (ROUND_HALF_UP in `decimal`), to a whole minor unit (öre, cent). A line amount is
rounded once from its exact value; VAT is computed per rate on the sum of the rounded line amounts of that
rate and rounded once. SEK invoice totals are then rounded to whole kronor (öresavrundning), half away
from zero, and the difference is shown as a rounding line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

# Enough digits that no realistic (or absurd: 10^20 units at 10^6 öre) product is ever rounded by the
# context itself; the only rounding is the explicit one below.
CALCULATION_PRECISION = 60

# Bounds on any number read from input, so that products stay exact within the precision above.
MAX_DIGITS = 24  # 10^24 - 1: far above any real quantity or price
MAX_DECIMALS = 12

# ISO 4217 minor-unit exponents for the currencies we expect; anything else defaults to 2.
_MINOR_UNIT_EXPONENT: dict[str, int] = {"JPY": 0, "ISK": 0, "KRW": 0, "CLP": 0, "BHD": 3, "KWD": 3}

# Currencies whose invoice totals are rounded to whole major units (Swedish öresavrundning).
_CASH_ROUNDED = frozenset({"SEK"})


class MoneyError(ValueError):
    """A value that cannot be an amount or a quantity."""


def calculation_context() -> Context:
    """The `decimal` context every pricing calculation runs in."""
    return Context(prec=CALCULATION_PRECISION, rounding=ROUND_HALF_UP)


_ROUNDING = calculation_context()


def exponent(currency: str) -> int:
    """Number of minor-unit digits of `currency` (2 for SEK and EUR)."""
    return _MINOR_UNIT_EXPONENT.get(currency.upper(), 2)


def is_cash_rounded(currency: str) -> bool:
    """True when totals in `currency` are rounded to whole major units with a visible rounding line."""
    return currency.upper() in _CASH_ROUNDED


def round_minor(value: Decimal) -> int:
    """Round an exact amount in minor units to a whole minor unit: half away from zero."""
    # The context only carries flags here (rounding to an integral value ignores precision), so one
    # shared context spares every line of every invoice entering and leaving a local one.
    return int(value.to_integral_value(rounding=ROUND_HALF_UP, context=_ROUNDING))


def round_to_major(amount: int, currency: str) -> int:
    """Round `amount` (minor units) to whole major units, half away from zero; returns minor units."""
    step = 10 ** exponent(currency)
    if step == 1:
        return amount
    with localcontext(calculation_context()):
        units = (Decimal(amount) / step).to_integral_value(rounding=ROUND_HALF_UP)
        return int(units) * step


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from an int, a Decimal or a decimal string; never from a float."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError("must be an integer or a decimal string, not a float or boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"not a decimal number: {value!r}") from None
    else:
        raise MoneyError(f"must be an integer or a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    if result != 0 and result.adjusted() >= MAX_DIGITS:
        raise MoneyError(f"too large: at most {MAX_DIGITS} digits before the decimal point")
    if result != 0 and result.normalize().as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
        raise MoneyError(f"too precise: at most {MAX_DECIMALS} decimals")
    return result


def decimal_str(value: Decimal) -> str:
    """A plain decimal string without exponent or trailing zeros: Decimal('1.50E+3') -> '1500'."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_amount(amount: int, currency: str) -> str:
    """Plain major-unit text for descriptions: 123456 SEK -> '1234.56'. Locale formatting is elsewhere."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


def allocate(total: int, weights: list[Decimal]) -> list[int]:
    """Split `total` minor units in proportion to `weights` so the parts sum exactly to `total`.

    Largest remainder; ties go to the earlier weight, so the result depends only on the input order the
    caller chose (callers pass weights in a canonical order).
    """
    if not weights:
        return []
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    with localcontext(calculation_context()):
        exact = [Decimal(magnitude) * w / weight_sum for w in weights]
        floors = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
        left = magnitude - sum(floors)
        order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
    return [sign * part for part in floors]
