"""Test data for the invoice page: invoices, contexts and histories with readable defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from billing.domain.invoice import Invoice, InvoiceLine, Party, VatSummary
from billing.domain.page import (
    Branding,
    History,
    InvoiceState,
    PageContext,
    PageLinks,
    PageSettings,
)
from billing.domain.periods import Period, add_months

TOKEN = "tok_0123456789abcdefABCDEF"
API = "https://api.example.test"
PAGE = f"https://pages.example.test/i/{TOKEN}"

SELLER = Party(
    name="Nordljus Mobil AB",
    address=("Storgatan 1", "111 22 Stockholm"),
    country="SE",
    org_number="556677-8899",
    vat_number="SE556677889901",
)
BUYER = Party(name="Anna Svensson", address=("Lillgatan 2", "222 33 Lund"), country="SE")


def line(
    line_id: str,
    description: str,
    amount: int,
    *,
    kind: str = "fee",
    group: str = "Mobile",
    quantity: str = "1",
    unit: str = "",
    unit_price: str | None = None,
    charge_code: str | None = None,
    vat_rate: str = "25",
) -> InvoiceLine:
    return InvoiceLine(
        line_id=line_id,
        kind=kind,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price if unit_price is not None else str(amount),
        amount=amount,
        vat_rate=vat_rate,
        charge_code=charge_code,
        group=group,
    )


def invoice(
    lines: tuple[InvoiceLine, ...] | None = None,
    *,
    period_start: date = date(2026, 11, 1),
    language: str = "sv",
    number: str | None = "2026-000042",
    invoice_id: str | None = None,
    buyer: Party = BUYER,
    seller: Party = SELLER,
    kind: str = "period",
    **overrides: Any,
) -> Invoice:
    """A consistent invoice: VAT 25 % per rate, SEK rounding to whole kronor, amount_due = total."""
    if lines is None:
        lines = (
            line("l1", "Mobil Bas", 19_900, charge_code="base"),
            line(
                "l2",
                "Mobildata",
                5_900,
                kind="usage",
                quantity="12.4",
                unit="GB",
                unit_price="475.8064516",
                charge_code="data",
            ),
        )
    by_rate: dict[str, int] = {}
    for item in lines:
        by_rate[item.vat_rate] = by_rate.get(item.vat_rate, 0) + item.amount
    vat = tuple(VatSummary(rate, base, base * int(rate) // 100) for rate, base in sorted(by_rate.items()))
    subtotal = sum(x.amount for x in lines)
    vat_total = sum(v.vat for v in vat)
    raw = subtotal + vat_total
    total = (raw + 50) // 100 * 100 if raw >= 0 else -((-raw + 50) // 100 * 100)
    period = Period(period_start, add_months(period_start, 1))
    base = Invoice(
        invoice_id=invoice_id or f"inv_{period_start.isoformat()}",
        kind=kind,
        tenant_id="t1",
        customer_id="c1",
        currency="SEK",
        language=language,
        issue_date=period_start,
        due_date=period_start + timedelta(days=29),
        period=period,
        seller=seller,
        buyer=buyer,
        lines=lines,
        vat=vat,
        subtotal=subtotal,
        vat_total=vat_total,
        rounding=total - raw,
        total=total,
        amount_due=total,
        number=number,
        ocr="4200000000427" if number else None,
        bankgiro="5050-1055",
    )
    return replace(base, **overrides)


def context(
    *,
    today: date = date(2026, 11, 2),
    state: InvoiceState | None = None,
    history: History | None = None,
    settings: PageSettings | None = None,
    **overrides: Any,
) -> PageContext:
    return PageContext(
        settings=settings
        or PageSettings(branding=Branding(name="Nordljus Mobil"), support_email="hjalp@nordljus.example"),
        links=PageLinks(token=TOKEN, page_url=PAGE, api_base=API, pay_url=f"{API}/v1/pages/{TOKEN}/pay"),
        today=today,
        state=state or InvoiceState(),
        history=history or History(),
        **overrides,
    )
