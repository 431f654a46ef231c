"""What a merchant sends for a one-off invoice, and what the API answers (pydantic)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from billing.services.subscriptions.fields import InvoiceView

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]


class ItemPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date = Field(description="the day after the last day, as in the invoice documents")

    @model_validator(mode="after")
    def _ordered(self) -> ItemPeriod:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class OneOffItemIn(BaseModel):
    """One line: quantity x unit price (minor units excl. VAT, may be below one öre), at a VAT rate."""

    model_config = ConfigDict(extra="forbid")

    description: Text
    quantity: Decimal = Field(Decimal(1), gt=0, le=10**9, max_digits=18, decimal_places=6)
    unit_price: Decimal = Field(
        ge=-(10**12), le=10**12, max_digits=18, decimal_places=6, description="minor units excl. VAT"
    )
    unit: Label = ""
    vat_rate: Decimal | None = Field(
        None, ge=0, le=100, max_digits=5, decimal_places=2, description="percent; default the standard rate"
    )
    code: Label | None = None
    period: ItemPeriod | None = None


class OneOffInvoiceCreate(BaseModel):
    """`POST /v1/customers/{id}/invoices`: an invoice of free-form items, issued today."""

    model_config = ConfigDict(extra="forbid")

    items: list[OneOffItemIn] = Field(min_length=1, max_length=100)


class OneOffResult(BaseModel):
    object: Literal["one_off_invoice"] = "one_off_invoice"
    preview: bool
    invoice: InvoiceView
