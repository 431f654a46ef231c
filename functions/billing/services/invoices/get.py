"""One invoice (`GET /v1/invoices/{id}`): another tenant's is as absent as one that never existed."""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.errors import PermanentError
from billing.services.invoices.ports import InvoiceReads
from billing.services.invoices.views import InvoiceSummary, summary


@dataclass(frozen=True)
class GetInvoice:
    invoices: InvoiceReads
    pages_base_url: str

    def __call__(self, tenant_id: str, invoice_id: str) -> InvoiceSummary:
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id!r}", field="invoice_id", code="not_found")
        return summary(stored, self.pages_base_url, whole=True)
