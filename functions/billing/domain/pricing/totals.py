"""Finishing an invoice: rounded lines, VAT per rate, SEK rounding, balance, notes, parties, identity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from billing.domain.invoice import Invoice, InvoiceLine, Party, VatSummary, invoice_id
from billing.domain.money import decimal_str, format_amount, is_cash_rounded, round_minor, round_to_major
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import Period
from billing.domain.pricing.context import LineDraft, PricingContext, text
from billing.domain.pricing_errors import ScenarioError
from billing.domain.vat import (
    OUTSIDE_EU,
    OUTSIDE_EU_NOTE,
    REVERSE_CHARGE,
    REVERSE_CHARGE_NOTE,
    rate_str,
    vat_amount,
)


def finish_invoice(
    *,
    tenant: TenantSettings,
    customer: Customer,
    ctx: PricingContext,
    drafts: list[LineDraft],
    kind: str,
    key_date: date,
    period: Period | None,
    issue_date: date,
    balance: int,
    subscription_id: str | None,
    key_suffix: str | None = None,
) -> Invoice:
    if balance < 0:
        raise ScenarioError("balance", "must be zero or more (a credit the customer has with us)")
    lines = tuple(
        InvoiceLine(
            line_id=str(i),
            kind=d.kind,
            description=d.description,
            quantity=decimal_str(d.quantity),
            unit=d.unit,
            unit_price=decimal_str(d.unit_price),
            amount=round_minor(d.amount),
            vat_rate=rate_str(d.vat_rate),
            charge_code=d.charge_code,
            group=d.group,
            proration=d.proration,
            period=d.period,
        )
        for i, d in enumerate(drafts, start=1)
    )
    vat = summarise_vat(lines)
    subtotal = sum(x.amount for x in lines)
    vat_total = sum(v.vat for v in vat)
    gross = subtotal + vat_total
    rounding = round_to_major(gross, ctx.currency) - gross if is_cash_rounded(ctx.currency) else 0
    total = gross + rounding
    applied = min(balance, max(total, 0))
    notes: list[str] = []
    if ctx.treatment == REVERSE_CHARGE:
        notes.append(REVERSE_CHARGE_NOTE.get(ctx.language, REVERSE_CHARGE_NOTE["en"]))
    elif ctx.treatment == OUTSIDE_EU:
        notes.append(OUTSIDE_EU_NOTE.get(ctx.language, OUTSIDE_EU_NOTE["en"]))
    if tenant.f_tax and tenant.country.upper() == "SE":
        notes.append(text(ctx.language, "f_tax"))
    kind_key = kind if key_suffix is None else f"{kind}:{key_suffix}"
    return Invoice(
        invoice_id=invoice_id(tenant.tenant_id, customer.id, key_date, kind_key),
        kind=kind,
        tenant_id=tenant.tenant_id,
        customer_id=customer.id,
        subscription_id=subscription_id,
        currency=ctx.currency,
        language=ctx.language,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=tenant.payment_terms_days),
        payment_terms_days=tenant.payment_terms_days,
        bankgiro=tenant.bankgiro,
        period=period,
        seller=seller_party(tenant),
        buyer=buyer_party(customer),
        lines=lines,
        vat=vat,
        subtotal=subtotal,
        vat_total=vat_total,
        rounding=rounding,
        total=total,
        balance_applied=applied,
        amount_due=total - applied,
        reverse_charge=ctx.treatment == REVERSE_CHARGE,
        vat_treatment=ctx.treatment,
        notes=tuple(notes),
    )


def summarise_vat(lines: Sequence[InvoiceLine]) -> tuple[VatSummary, ...]:
    """VAT per rate, highest rate first: on the sum of the rounded line amounts, rounded once."""
    bases: dict[str, int] = {}
    for x in lines:
        bases[x.vat_rate] = bases.get(x.vat_rate, 0) + x.amount
    ordered = sorted(bases, key=lambda r: Decimal(r), reverse=True)
    return tuple(VatSummary(rate=r, base=bases[r], vat=vat_amount(bases[r], Decimal(r))) for r in ordered)


def seller_party(tenant: TenantSettings) -> Party:
    return Party(
        name=tenant.legal_name,
        address=tenant.address,
        country=tenant.country,
        org_number=tenant.org_number,
        vat_number=tenant.vat_number,
    )


def buyer_party(customer: Customer) -> Party:
    return Party(
        name=customer.name,
        address=customer.address,
        country=customer.country,
        org_number=customer.org_number,
        vat_number=customer.vat_number,
    )


def format_money(amount: int, currency: str) -> str:
    """'1234.56 SEK': for descriptions and the CLI, not for the invoice page (which localises)."""
    return f"{format_amount(amount, currency)} {currency}"
