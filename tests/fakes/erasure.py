"""In-memory `ErasureStore` and `PageEraser` (services/erasure.py): a tenant's customers with their
invoices, mandate and usage, what was kept apart, and page objects with their versions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from billing.domain.invoice import Party
from billing.services.customer_data.ports import KeptIdentity
from billing.services.ports import StoredInvoice


@dataclass
class FakeErasureStore:
    customers: set[tuple[str, str]] = field(default_factory=set)
    invoices_by_id: dict[tuple[str, str], StoredInvoice] = field(default_factory=dict)
    mandates: set[tuple[str, str]] = field(default_factory=set)
    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    identities: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (tenant, pseudonym)
    page_tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # the retired links' successors

    def invoices(self, tenant_id: str, customer_id: str) -> list[StoredInvoice]:
        return [
            s
            for (t, _), s in self.invoices_by_id.items()
            if t == tenant_id and s.invoice.customer_id == customer_id
        ]

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool:
        return (tenant_id, customer_id) in self.customers

    def pseudonymise_invoice(
        self, stored: StoredInvoice, pseudonym: str, buyer: dict[str, Any], page_token: str
    ) -> None:
        invoice = replace(stored.invoice, customer_id=pseudonym, buyer=Party.from_dict(buyer))
        key = (stored.tenant_id, stored.invoice_id)
        self.invoices_by_id[key] = replace(
            stored, invoice=invoice, page_token=page_token, questions=(), feedback=None
        )
        self.page_tokens[key] = page_token

    def keep_identity(self, kept: KeptIdentity) -> None:
        self.identities[(kept.tenant_id, kept.pseudonym)] = {
            **kept.identity,
            "until": kept.until,
            "operator": kept.operator,
        }

    def delete_customer(self, tenant_id: str, customer_id: str) -> None:
        self.customers.discard((tenant_id, customer_id))

    def delete_mandate(self, tenant_id: str, customer_id: str) -> bool:
        if (tenant_id, customer_id) not in self.mandates:
            return False
        self.mandates.discard((tenant_id, customer_id))
        return True

    def delete_usage(self, tenant_id: str, customer_id: str) -> int:
        return self.usage.pop((tenant_id, customer_id), 0)


@dataclass
class FakePageEraser:
    versions: dict[str, int] = field(default_factory=dict)  # key -> versions stored

    def erase(self, key: str) -> int:
        return self.versions.pop(key, 0)
