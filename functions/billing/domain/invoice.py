"""The invoice: lines, VAT per rate, rounding, totals, parties, identity; JSON round trip.

An invoice is computed before it has a number: `number` and `ocr` are None until the store allocates a
number in the transaction that saves it and calls `with_number`. `to_dict` gives a JSON document of
ints, strings, lists and ISO dates; `from_dict(to_dict(x)) == x` exactly.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from billing.domain.periods import Period

# Kinds of invoice. Credit notes reference the invoice they credit.
PERIOD = "period"
PLAN_CHANGE = "plan_change"
ONE_OFF = "one_off"
CREDIT_NOTE = "credit_note"
PREVIEW = "preview"
KINDS = (PERIOD, PLAN_CHANGE, ONE_OFF, CREDIT_NOTE, PREVIEW)


def invoice_id(tenant_id: str, customer_id: str, period_start: date | str, kind: str) -> str:
    """The deterministic id of the invoice of `kind` for (tenant, customer, period): retries reuse it.

    'inv_' + 26 lowercase base32 characters of SHA-256 over the four parts (130 bits).
    """
    start = period_start.isoformat() if isinstance(period_start, date) else period_start
    key = "\x1f".join((tenant_id, customer_id, start, kind)).encode()
    digest = hashlib.sha256(key).digest()
    return "inv_" + base64.b32encode(digest).decode("ascii")[:26].lower()


def format_invoice_number(series_prefix: str, n: int) -> str:
    """The printed number of the n-th invoice of a series: ('2026-', 42) -> '2026-000042'."""
    if n < 1:
        raise ValueError("invoice numbers start at 1")
    return f"{series_prefix}{n:06d}"


@dataclass(frozen=True)
class Party:
    """Seller or buyer as printed: the VAT act asks for name and address, and VAT numbers."""

    name: str
    address: tuple[str, ...]
    country: str
    org_number: str | None = None
    vat_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": list(self.address),
            "country": self.country,
            "org_number": self.org_number,
            "vat_number": self.vat_number,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Party:
        return cls(
            name=data["name"],
            address=tuple(data["address"]),
            country=data["country"],
            org_number=data.get("org_number"),
            vat_number=data.get("vat_number"),
        )


@dataclass(frozen=True)
class InvoiceLine:
    """One line. `unit_price` is in minor units as a decimal string (it may be below one öre);
    `amount` is whole minor units, excl. VAT; `vat_rate` is a percent string ("25")."""

    line_id: str
    kind: str  # fee | usage | adjustment | discount | commitment | credit | item
    description: str
    quantity: str
    unit: str
    unit_price: str
    amount: int
    vat_rate: str
    charge_code: str | None = None
    group: str = ""
    proration: str | None = None  # "12 of 30 days"
    period: Period | None = None
    credited_line_id: str | None = None  # on credit notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "kind": self.kind,
            "charge_code": self.charge_code,
            "description": self.description,
            "group": self.group,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price,
            "amount": self.amount,
            "vat_rate": self.vat_rate,
            "proration": self.proration,
            "period": self.period.to_dict() if self.period else None,
            "credited_line_id": self.credited_line_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InvoiceLine:
        return cls(
            line_id=data["line_id"],
            kind=data["kind"],
            charge_code=data.get("charge_code"),
            description=data["description"],
            group=data.get("group", ""),
            quantity=data["quantity"],
            unit=data.get("unit", ""),
            unit_price=data["unit_price"],
            amount=int(data["amount"]),
            vat_rate=data["vat_rate"],
            proration=data.get("proration"),
            period=Period.from_dict(data["period"]) if data.get("period") else None,
            credited_line_id=data.get("credited_line_id"),
        )


@dataclass(frozen=True)
class VatSummary:
    """The VAT of one rate: `base` (sum of line amounts at the rate) and `vat`, both minor units."""

    rate: str
    base: int
    vat: int

    def to_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "base": self.base, "vat": self.vat}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VatSummary:
        return cls(rate=data["rate"], base=int(data["base"]), vat=int(data["vat"]))


@dataclass(frozen=True)
class Invoice:
    """totals: subtotal + vat_total + rounding = total; amount_due = total - balance_applied."""

    invoice_id: str
    kind: str
    tenant_id: str
    customer_id: str
    currency: str
    language: str
    issue_date: date
    due_date: date
    period: Period | None
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    vat: tuple[VatSummary, ...]
    subtotal: int
    vat_total: int
    rounding: int
    total: int
    balance_applied: int = 0
    amount_due: int = 0
    reverse_charge: bool = False
    vat_treatment: str = "domestic"  # "domestic", "reverse_charge" or "outside_eu"
    notes: tuple[str, ...] = ()
    subscription_id: str | None = None
    credited_invoice_id: str | None = None
    credited_invoice_number: str | None = None
    number: str | None = None
    ocr: str | None = None
    payment_terms_days: int = 30
    bankgiro: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the plan-change cost summary

    def with_number(self, number: str, ocr: str | None) -> Invoice:
        """This invoice with the number the store allocated (and its OCR reference)."""
        return replace(self, number=number, ocr=ocr)

    def line(self, line_id: str) -> InvoiceLine | None:
        return next((x for x in self.lines if x.line_id == line_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "kind": self.kind,
            "tenant_id": self.tenant_id,
            "customer_id": self.customer_id,
            "subscription_id": self.subscription_id,
            "number": self.number,
            "ocr": self.ocr,
            "currency": self.currency,
            "language": self.language,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "payment_terms_days": self.payment_terms_days,
            "bankgiro": self.bankgiro,
            "period": self.period.to_dict() if self.period else None,
            "seller": self.seller.to_dict(),
            "buyer": self.buyer.to_dict(),
            "lines": [x.to_dict() for x in self.lines],
            "vat": [x.to_dict() for x in self.vat],
            "subtotal": self.subtotal,
            "vat_total": self.vat_total,
            "rounding": self.rounding,
            "total": self.total,
            "balance_applied": self.balance_applied,
            "amount_due": self.amount_due,
            "reverse_charge": self.reverse_charge,
            "vat_treatment": self.vat_treatment,
            "notes": list(self.notes),
            "credited_invoice_id": self.credited_invoice_id,
            "credited_invoice_number": self.credited_invoice_number,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Invoice:
        return cls(
            invoice_id=data["invoice_id"],
            kind=data["kind"],
            tenant_id=data["tenant_id"],
            customer_id=data["customer_id"],
            subscription_id=data.get("subscription_id"),
            number=data.get("number"),
            ocr=data.get("ocr"),
            currency=data["currency"],
            language=data["language"],
            issue_date=date.fromisoformat(data["issue_date"]),
            due_date=date.fromisoformat(data["due_date"]),
            payment_terms_days=int(data.get("payment_terms_days", 30)),
            bankgiro=data.get("bankgiro"),
            period=Period.from_dict(data["period"]) if data.get("period") else None,
            seller=Party.from_dict(data["seller"]),
            buyer=Party.from_dict(data["buyer"]),
            lines=tuple(InvoiceLine.from_dict(x) for x in data["lines"]),
            vat=tuple(VatSummary.from_dict(x) for x in data["vat"]),
            subtotal=int(data["subtotal"]),
            vat_total=int(data["vat_total"]),
            rounding=int(data["rounding"]),
            total=int(data["total"]),
            balance_applied=int(data.get("balance_applied", 0)),
            amount_due=int(data.get("amount_due", data["total"])),
            reverse_charge=bool(data.get("reverse_charge", False)),
            vat_treatment=data.get("vat_treatment", "domestic"),
            notes=tuple(data.get("notes", ())),
            credited_invoice_id=data.get("credited_invoice_id"),
            credited_invoice_number=data.get("credited_invoice_number"),
            extra=_plain(dict(data.get("extra") or {})),
        )


def _plain(value: Any) -> Any:
    """JSON-ready values: DynamoDB hands numbers back as Decimal; whole ones become ints again."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value
