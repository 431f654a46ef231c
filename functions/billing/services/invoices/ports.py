"""What the invoice reads need (adapters/dynamo/invoice_reads.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from billing.services.ports import CustomerAccount, DocumentIssue, StoredInvoice


class InvoiceReads(Protocol):
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool: ...

    def page(
        self, tenant_id: str, customer_id: str, after: tuple[str, str] | None, limit: int
    ) -> tuple[Sequence[StoredInvoice], tuple[str, str] | None]:
        """The customer's invoices, newest period first, after position `after` ((period start,
        invoice id) of the last one seen); the position after this page, or None on the last."""
        ...


class OneOffLedger(Protocol):
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...

    def account(self, tenant_id: str, customer_id: str) -> CustomerAccount | None: ...

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool: ...

    def issue_one_off(self, issue: DocumentIssue) -> StoredInvoice | None:
        """In one transaction, as a run's invoice: the next number of the tenant's invoice series, the
        invoice, and the customer's balance less what the invoice used. The invoice if it exists
        already; None when the balance changed meanwhile (compute again)."""
        ...
