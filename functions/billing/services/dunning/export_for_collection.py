"""The operator hands selected invoices to a collection partner (never the daily job): the CSV and an
audit entry per invoice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from billing.domain.dunning import (
    CollectionCandidate,
    CustomerHistory,
    ReferenceRates,
    collection_export,
)
from billing.services.dunning.ports import DunningStore
from billing.services.dunning.state import STOCKHOLM, audit_event, dunning_state, policy_of
from billing.services.errors import PermanentError
from billing.services.ports import (
    AuditTrail,
    Clock,
    CustomerDirectory,
    StoredInvoices,
    TenantDirectory,
)

if TYPE_CHECKING:
    pass


# --------------------------------------------------------------------------------------------------
# The operator hands selected invoices to a collection partner (never the daily job)


@dataclass(kw_only=True, eq=False)
class ExportForCollection:
    """The CSV for the invoices an operator selected, with one audit entry per invoice naming the
    operator. Refuses (naming the row) anything the rules do not allow: see `collection_export`."""

    tenants: TenantDirectory
    customers: CustomerDirectory
    invoices: StoredInvoices
    store: DunningStore
    audit: AuditTrail
    rates: ReferenceRates
    clock: Clock

    def __call__(self, tenant_id: str, invoice_ids: Sequence[str], operator: str) -> str:
        tenant = self.tenants.get(tenant_id)
        policy = policy_of(tenant)
        exported_at = self.clock.now().astimezone(STOCKHOLM)
        candidates: list[CollectionCandidate] = []
        for invoice_id in invoice_ids:
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is None:
                raise PermanentError(f"no invoice {invoice_id}", field="invoice")
            account = self.customers.get(tenant_id, stored.invoice.customer_id)
            name = account.customer.name if account else stored.invoice.buyer.name
            state = dunning_state(
                stored,
                agreed_on=self.store.fee_agreed_on(tenant_id, stored.invoice.customer_id),
                history=CustomerHistory(0, 0),
            )
            candidates.append(
                CollectionCandidate(
                    state=state,
                    customer_id=stored.invoice.customer_id,
                    customer_name=name,
                    ocr_reference=stored.invoice.ocr or "",
                )
            )
        export = collection_export(candidates, policy, self.rates, operator, exported_at)
        for entry in export.audit_entries:
            self.audit.append(tenant_id, entry.invoice_id, audit_event(entry))
        return export.csv_text
