"""The seller (a tenant) and the buyer (a customer) as the invoice names them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TenantSettings:
    tenant_id: str
    legal_name: str
    org_number: str  # organisationsnummer
    vat_number: str  # "SE556677889901"
    address: tuple[str, ...]  # street lines, postcode and city, as printed
    currency: str = "SEK"
    country: str = "SE"
    payment_terms_days: int = 30
    invoice_series_prefix: str = ""
    # Parallel number series (billing.domain.numbering): 1 numbers every invoice through the prefix alone.
    invoice_series_count: int = 1
    bankgiro: str | None = None
    ocr_length_digit: bool = False  # the Bankgirot agreement asks for a length digit in OCR numbers
    timezone: str = "Europe/Stockholm"
    f_tax: bool = True  # "Godkänd för F-skatt" printed on the invoice
    email: str | None = None
    # Price changes (docs/price-changes.md): the sector whose legal minimum notice applies
    # ("electronic_communications", "electricity", "" for none) and the tenant's own notice in months.
    sector: str = ""
    price_change_notice_months: int = 1


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    address: tuple[str, ...]
    country: str = "SE"
    language: str = "sv"  # "sv" | "en"
    timezone: str = "Europe/Stockholm"
    vat_number: str | None = None
    is_business: bool = False
    org_number: str | None = None
    reference: str | None = None  # the buyer's reference ("Er referens")
    email: str | None = None
