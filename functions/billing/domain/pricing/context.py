"""What every line of an invoice needs besides its charge: currency, language, time zone, VAT rules.

`LineDraft` is a line before it has an id: its amount is exact and rounded only when the invoice is
finished (see `totals.py` and the rounding rule in `billing.domain.money`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.domain.catalog import Catalog
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import Period
from billing.domain.pricing_errors import ScenarioError
from billing.domain.vat import DOMESTIC, VatSchedule, vat_treatment

_TEXT = {
    "sv": {
        "unused": "Outnyttjad tid",
        "remaining": "Återstående tid",
        "commitment": "Minimiåtagande",
        "minimum": "Minimibelopp",
        "maximum": "Maxbelopp",
        "fixed_fee": "fast avgift per händelse",
        "per_event_limit": "min/max per händelse",
        "discount": "Rabatt",
        "blocks": "block om",
        "free": "fria",
        "vat": "moms",
        "f_tax": "Godkänd för F-skatt",
    },
    "en": {
        "unused": "Unused time",
        "remaining": "Remaining time",
        "commitment": "Minimum commitment",
        "minimum": "Minimum amount",
        "maximum": "Maximum amount",
        "fixed_fee": "fixed fee per event",
        "per_event_limit": "per-event min/max",
        "discount": "Discount",
        "blocks": "blocks of",
        "free": "free",
        "vat": "VAT",
        "f_tax": "Approved for F-tax",
    },
}


def text(language: str, key: str) -> str:
    return _TEXT.get(language, _TEXT["en"])[key]


@dataclass(frozen=True)
class LineDraft:
    """A line before it has an id: exact amount, not yet rounded."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    charge_code: str | None
    group: str
    vat_rate: Decimal
    proration: str | None = None
    period: Period | None = None


@dataclass(frozen=True)
class PricingContext:
    """What every line needs to know besides its charge."""

    currency: str
    language: str
    tz: ZoneInfo
    schedule: VatSchedule
    treatment: str  # vat.DOMESTIC, REVERSE_CHARGE or OUTSIDE_EU

    @property
    def zero_rated(self) -> bool:
        return self.treatment != DOMESTIC


def make_context(
    tenant: TenantSettings, catalog: Catalog, customer: Customer, currency: str
) -> PricingContext:
    """The context for invoicing `customer` in `currency`, with the VAT treatment seller and buyer give."""
    treatment = vat_treatment(
        seller_country=tenant.country,
        buyer_country=customer.country,
        buyer_is_business=customer.is_business,
        buyer_vat_number=customer.vat_number,
    )
    return replace(make_context_for(customer, catalog.vat_schedule, currency), treatment=treatment)


def make_context_for(customer: Customer, schedule: VatSchedule, currency: str) -> PricingContext:
    """A domestic-VAT context in the customer's language and time zone."""
    try:
        tz = ZoneInfo(customer.timezone)
    except (KeyError, ValueError):
        raise ScenarioError("customer.timezone", f"unknown time zone {customer.timezone!r}") from None
    return PricingContext(currency, customer.language, tz, schedule, DOMESTIC)


def vat_rate_on(ctx: PricingContext, fixed: Decimal | None, category: str, day: date) -> Decimal:
    if ctx.zero_rated:
        return Decimal(0)
    if fixed is not None:
        return fixed
    return ctx.schedule.rate_on(category, day)


def vat_parts(ctx: PricingContext, fixed: Decimal | None, category: str, lo: date, hi: date) -> list[Period]:
    """[lo, hi) cut where the VAT rate of the category changes."""
    if ctx.zero_rated or fixed is not None:
        return [Period(lo, hi)]
    cuts = [lo, *ctx.schedule.change_dates(category, lo, hi), hi]
    return [Period(a, b) for a, b in itertools.pairwise(cuts) if a < b]
