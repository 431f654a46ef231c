"""In-memory `InvoiceReads` (services/invoices/ports.py): a tenant's invoices and customers, a
customer's invoices paged newest period first after a (period start, invoice id) position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from billing.services.ports import StoredInvoice


@dataclass
class FakeInvoiceReads:
    invoices: dict[tuple[str, str], StoredInvoice] = field(default_factory=dict)
    customers: set[tuple[str, str]] = field(default_factory=set)

    def add(self, tenant_id: str, stored: StoredInvoice) -> None:
        self.invoices[(tenant_id, stored.invoice.invoice_id)] = stored
        self.customers.add((tenant_id, stored.invoice.customer_id))

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self.invoices.get((tenant_id, invoice_id))

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool:
        return (tenant_id, customer_id) in self.customers

    def page(
        self, tenant_id: str, customer_id: str, after: tuple[str, str] | None, limit: int
    ) -> tuple[Sequence[StoredInvoice], tuple[str, str] | None]:
        def position(s: StoredInvoice) -> tuple[str, str]:
            start = s.invoice.period.start if s.invoice.period else s.invoice.issue_date
            return start.isoformat(), s.invoice.invoice_id

        mine = sorted(
            (
                s
                for (t, _), s in self.invoices.items()
                if t == tenant_id and s.invoice.customer_id == customer_id
            ),
            key=position,
            reverse=True,
        )
        rest = [s for s in mine if after is None or position(s) < after]
        page = rest[:limit]
        return page, position(page[-1]) if len(rest) > limit else None
