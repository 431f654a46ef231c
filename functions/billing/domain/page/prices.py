"""How the page states prices: including VAT for consumers, excluding VAT for businesses.

Swedish price rules (prisinformationslagen) want a consumer shown what they actually pay, VAT included;
a business deducts the VAT and reads prices without it. The invoice itself stays as the pricing engine
made it (amounts excl. VAT, VAT per rate, the total): only what the page, email and PDF *show* next to a
line, a unit price, a saving or an offer is converted, here, with one rounding rule (half away from
zero, once per shown figure). The VAT summary and the total are shown as they are for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from billing.domain.invoice import Invoice
from billing.domain.money import calculation_context, round_minor
from billing.domain.parties import Customer


@dataclass(frozen=True)
class PriceBasis:
    """`incl_vat`: shown prices include VAT (a consumer). `default_rate`: the rate for figures that are
    not one line's (a plan's yearly cost, an offer's price): the rate most of the invoice carries."""

    incl_vat: bool
    default_rate: str = "0"

    def amount(self, amount: int, rate: str | None = None) -> int:
        """`amount` (minor units excl. VAT) as shown to this reader."""
        if not self.incl_vat:
            return amount
        with localcontext(calculation_context()):
            return round_minor(Decimal(amount) * (100 + Decimal(rate or self.default_rate)) / 100)

    def unit_price(self, unit_price: Decimal, rate: str | None = None) -> Decimal:
        """A unit price in minor units (maybe fractional), as shown; kept exact (the renderer rounds)."""
        if not self.incl_vat:
            return unit_price
        with localcontext(calculation_context()):
            return unit_price * (100 + Decimal(rate or self.default_rate)) / 100


def is_consumer(invoice: Invoice, customer: Customer | None) -> bool:
    """A consumer: the customer record says so; without one, a buyer with no org. or VAT number."""
    if customer is not None:
        return not customer.is_business
    return not (invoice.buyer.org_number or invoice.buyer.vat_number)


def price_basis(invoice: Invoice, customer: Customer | None) -> PriceBasis:
    # Reverse charge: the buyer accounts for the VAT, so there is none to add to what they are shown.
    if invoice.reverse_charge or not is_consumer(invoice, customer):
        return PriceBasis(incl_vat=False)
    rates = sorted(invoice.vat, key=lambda v: (v.base, v.rate))
    return PriceBasis(incl_vat=True, default_rate=rates[-1].rate if rates else "0")
