"""An invoice as the merchant's API answers it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from billing.services.ports import StoredInvoice


class InvoiceSummary(BaseModel):
    object: Literal["invoice"] = "invoice"
    id: str
    customer_id: str
    number: str | None
    kind: str = Field(description="period | plan_change | one_off | credit_note | preview")
    status: str = Field(description="open | paid | credited | void, or preview for the invoice so far")
    issue_date: str
    due_date: str
    period_start: str | None
    period_end: str | None
    currency: str
    total: int = Field(description="minor units, incl. VAT")
    amount_due: int
    amount_paid: int
    page_url: str | None
    document: dict[str, Any] | None = Field(
        None, description="the whole document (docs/pricing.md); single reads"
    )


class InvoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[InvoiceSummary]
    next_cursor: str | None


def summary(stored: StoredInvoice, pages_base_url: str, *, whole: bool = False) -> InvoiceSummary:
    invoice = stored.invoice
    return InvoiceSummary(
        id=invoice.invoice_id,
        customer_id=invoice.customer_id,
        number=invoice.number,
        kind=invoice.kind,
        status=stored.status,
        issue_date=invoice.issue_date.isoformat(),
        due_date=invoice.due_date.isoformat(),
        period_start=invoice.period.start.isoformat() if invoice.period else None,
        period_end=invoice.period.end.isoformat() if invoice.period else None,
        currency=invoice.currency,
        total=invoice.total,
        amount_due=stored.amount_due,
        amount_paid=stored.amount_paid,
        page_url=f"{pages_base_url.rstrip('/')}/i/{stored.page_token}" if stored.page_token else None,
        document=invoice.to_dict() if whole else None,
    )
