"""What a merchant sends to credit an invoice, and what the API answers (pydantic)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from billing.services.subscriptions.fields import InvoiceView

LineId = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z_-]+$")]


class CreditLine(BaseModel):
    """One line of the invoice to credit: a quantity of its units, or an amount excl. VAT (minor units)."""

    model_config = ConfigDict(extra="forbid")

    line_id: LineId
    quantity: Decimal | None = Field(
        None, gt=0, max_digits=18, decimal_places=6, description="units of the line; its unit price applies"
    )
    amount: int | None = Field(None, gt=0, le=10**12, description="minor units excl. VAT")

    @model_validator(mode="after")
    def _one_of(self) -> CreditLine:
        if (self.quantity is None) == (self.amount is None):
            raise ValueError("give either quantity or amount")
        return self


class CreditNoteCreate(BaseModel):
    """`POST /v1/invoices/{id}/credit_notes`: no `lines` credits everything still left on the invoice."""

    model_config = ConfigDict(extra="forbid")

    lines: list[CreditLine] | None = Field(None, min_length=1, max_length=100)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        None, description="printed on the credit note"
    )


class CreditNoteView(BaseModel):
    """A credit note: its own document (lines negative, VAT per credited line's rate) and where it went."""

    object: Literal["credit_note"] = "credit_note"
    id: str
    number: str | None = Field(description="null in a preview: numbers are given when issued")
    invoice_id: str = Field(description="the invoice it credits")
    invoice_number: str | None
    customer_id: str
    issue_date: str
    currency: str
    total: int = Field(description="minor units incl. VAT, negative")
    vat_total: int
    applied_to_invoice: int = Field(description="minor units: how much the invoice's amount due went down")
    to_balance: int = Field(description="minor units: credit for the customer's next invoice")
    page_token: str | None
    document: dict[str, Any]


class CreditNoteResult(BaseModel):
    object: Literal["credit_note_result"] = "credit_note_result"
    preview: bool
    credit_note: CreditNoteView
    invoice: InvoiceView = Field(description="the credited invoice as it stands after the note")


class CreditNoteList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CreditNoteView]
    next_cursor: None = Field(None, description="an invoice's notes fit one page")
