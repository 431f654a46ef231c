"""Parsing a tenant's settings and a customer from their JSON shapes (docs/pricing.md)."""

from __future__ import annotations

from typing import Any

from billing.domain.numbering import MAX_SERIES
from billing.domain.parties import Customer, TenantSettings
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario.fields import _check_zone, _country, _currency, _Fields, _language

_TENANT_FIELDS = frozenset(
    "tenant_id legal_name org_number vat_number address currency country payment_terms_days "
    "invoice_series_prefix invoice_series_count bankgiro ocr_length_digit timezone f_tax email "
    "sector price_change_notice_months".split()
)


def parse_tenant_settings(data: Any, path: str = "tenant") -> TenantSettings:
    f = _Fields(data, path, _TENANT_FIELDS)
    return TenantSettings(
        tenant_id=f.text("tenant_id"),
        legal_name=f.text("legal_name"),
        org_number=f.text("org_number"),
        vat_number=f.text("vat_number"),
        address=f.lines("address"),
        currency=_currency(f, "currency", "SEK"),
        country=_country(f, "country", "SE"),
        payment_terms_days=f.integer("payment_terms_days", 30, minimum=0, maximum=365),
        invoice_series_prefix=f.label("invoice_series_prefix"),
        invoice_series_count=f.integer("invoice_series_count", 1, minimum=1, maximum=MAX_SERIES),
        bankgiro=f.text("bankgiro", None),
        ocr_length_digit=f.flag("ocr_length_digit", False),
        timezone=_check_zone(f.text("timezone", "Europe/Stockholm"), f.at("timezone")),
        f_tax=f.flag("f_tax", True),
        email=f.text("email", None),
        **_price_change_settings(f),
    )


def _price_change_settings(f: _Fields) -> dict[str, Any]:
    """The sector's legal minimum notice of a price change bounds the tenant's own (price_change.py)."""
    from billing.domain.price_change import SECTOR_MINIMUM_MONTHS

    sector = f.text("sector", "")
    if sector and sector not in SECTOR_MINIMUM_MONTHS:
        raise ScenarioError(f.at("sector"), f"one of {', '.join(sorted(SECTOR_MINIMUM_MONTHS))} (or empty)")
    minimum = SECTOR_MINIMUM_MONTHS.get(sector, 0)
    months = f.integer("price_change_notice_months", max(1, minimum), minimum=0, maximum=24)
    if months < minimum:
        raise ScenarioError(
            f.at("price_change_notice_months"), f"the {sector} sector's legal minimum is {minimum} month(s)"
        )
    return {"sector": sector, "price_change_notice_months": months}


_CUSTOMER_FIELDS = frozenset(
    "id name address country language timezone vat_number is_business org_number reference email".split()
)


def parse_customer(data: Any, path: str = "customer") -> Customer:
    f = _Fields(data, path, _CUSTOMER_FIELDS)
    is_business = f.flag("is_business", False)
    return Customer(
        id=f.text("id"),
        name=f.text("name"),
        address=f.lines("address"),
        country=_country(f, "country", "SE"),
        language=_language(f, "language"),
        timezone=_check_zone(f.text("timezone", "Europe/Stockholm"), f.at("timezone")),
        vat_number=f.text("vat_number", None),
        is_business=is_business,
        org_number=f.text("org_number", None),
        reference=f.text("reference", None),
        email=f.text("email", None),
    )
