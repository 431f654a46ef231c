"""What the invoice reads need (adapters/dynamo/invoice_reads.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from billing.services.ports import StoredInvoice


class InvoiceReads(Protocol):
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool: ...

    def page(
        self, tenant_id: str, customer_id: str, after: tuple[str, str] | None, limit: int
    ) -> tuple[Sequence[StoredInvoice], tuple[str, str] | None]:
        """The customer's invoices, newest period first, after position `after` ((period start,
        invoice id) of the last one seen); the position after this page, or None on the last."""
        ...
