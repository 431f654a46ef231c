"""What the credit-note use cases read and write (adapters/dynamo/ledger_documents.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from billing.domain.invoice import Invoice
from billing.services.ports import CustomerAccount, StoredInvoice


@dataclass(frozen=True, kw_only=True)
class CreditNoteIssue:
    """A credit note against `credited` (as it was read): `applied` lowers what the invoice still asks,
    `to_balance` goes to the customer's balance, and `payments` replaces the invoice's payment record
    when given. Numbered in the credit-note series of `series_prefix`; `page_token` is its page."""

    note: Invoice
    credited: StoredInvoice
    account: CustomerAccount
    applied: int
    to_balance: int
    payments: dict[str, Any] | None
    page_token: str
    now: datetime
    series_prefix: str


class CreditNoteLedger(Protocol):
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...

    def account(self, tenant_id: str, customer_id: str) -> CustomerAccount | None: ...

    def issue_credit_note(self, issue: CreditNoteIssue) -> StoredInvoice | None:
        """In one transaction: the next number of the tenant's credit-note series, the note, the credited
        invoice's amount due lowered by `applied` (its payment record replaced by `payments` when
        given) with the note listed on it, and `to_balance` added to the customer's balance. Only if
        the credited invoice is unchanged since `credited` was read; None when it changed (read again)."""
        ...


class PagePublisher(Protocol):
    def publish(self, stored: StoredInvoice) -> Any:
        """Render a stored invoice's page again (InvoicePages.publish)."""
        ...
