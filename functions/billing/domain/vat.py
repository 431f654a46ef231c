"""Swedish VAT: rates by category effective by date, and the reverse-charge decision.

A charge names either a fixed rate ("25") or a category ("food") whose rate can change on a date; a
service period that crosses a change is billed in parts, each at its own rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from billing.domain.money import calculation_context, round_minor

# Swedish rates (mervärdesskattelagen 2023:200). Tenants add dated schedules for rate changes.
STANDARD_CATEGORIES: dict[str, Decimal] = {
    "standard": Decimal(25),
    "reduced": Decimal(12),
    "low": Decimal(6),
    "zero": Decimal(0),
}

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)

DOMESTIC = "domestic"
REVERSE_CHARGE = "reverse_charge"  # EU business buyer in another member state: the buyer accounts for VAT
OUTSIDE_EU = "outside_eu"  # business buyer outside the EU: the service is supplied abroad, no Swedish VAT

OUTSIDE_EU_NOTE = {
    "sv": "Tjänsten är omsatt utanför EU (köparen är näringsidkare); svensk moms tas inte ut",
    "en": "Place of supply outside the EU (business customer): no Swedish VAT",
}

REVERSE_CHARGE_NOTE = {
    "sv": "Omvänd betalningsskyldighet",
    "en": "Reverse charge: the buyer accounts for the VAT (Article 196, Directive 2006/112/EC)",
}


@dataclass(frozen=True)
class RateChange:
    """From `effective_from` (inclusive) the category's rate is `rate` percent."""

    effective_from: date
    rate: Decimal


@dataclass(frozen=True)
class VatSchedule:
    """Dated rates per category. Categories without a schedule use STANDARD_CATEGORIES."""

    categories: dict[str, tuple[RateChange, ...]]

    def knows(self, category: str) -> bool:
        return category in self.categories or category in STANDARD_CATEGORIES

    def rate_on(self, category: str, day: date) -> Decimal:
        changes = self.categories.get(category)
        if not changes:
            return STANDARD_CATEGORIES[category]
        rate = None
        for change in changes:  # sorted by date when parsed
            if change.effective_from <= day:
                rate = change.rate
        if rate is None:
            # Before the first dated entry the category had its statutory default, if it has one.
            if category in STANDARD_CATEGORIES:
                return STANDARD_CATEGORIES[category]
            return changes[0].rate
        return rate

    def change_dates(self, category: str, start: date, end: date) -> list[date]:
        """Dates strictly inside [start, end) on which the category's rate changes."""
        result = []
        for change in self.categories.get(category, ()):
            if start < change.effective_from < end and self.rate_on(
                category, change.effective_from
            ) != self.rate_on(category, _day_before(change.effective_from)):
                result.append(change.effective_from)
        return result


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


EMPTY_SCHEDULE = VatSchedule(categories={})


def is_reverse_charge(
    *, seller_country: str, buyer_country: str, buyer_is_business: bool, buyer_vat_number: str | None
) -> bool:
    """EU business buyer in another member state with a VAT number: the buyer accounts for the VAT."""
    return (
        buyer_is_business
        and bool(buyer_vat_number)
        and buyer_country.upper() in EU_COUNTRIES
        and buyer_country.upper() != seller_country.upper()
    )


def vat_treatment(
    *, seller_country: str, buyer_country: str, buyer_is_business: bool, buyer_vat_number: str | None
) -> str:
    """DOMESTIC (the rates apply), REVERSE_CHARGE or OUTSIDE_EU (both at 0 % with a note)."""
    if is_reverse_charge(
        seller_country=seller_country,
        buyer_country=buyer_country,
        buyer_is_business=buyer_is_business,
        buyer_vat_number=buyer_vat_number,
    ):
        return REVERSE_CHARGE
    if buyer_is_business and buyer_country.upper() not in EU_COUNTRIES:
        return OUTSIDE_EU
    return DOMESTIC


def vat_amount(base: int, rate: Decimal) -> int:
    """VAT on the sum of line amounts at one rate: exact, then rounded once (half away from zero)."""
    with localcontext(calculation_context()):
        return round_minor(Decimal(base) * rate / 100)


def rate_str(rate: Decimal) -> str:
    """'25', '12', '6', '0', '6.5': the form rates take in JSON."""
    text = format(rate.normalize(), "f")
    return text
