"""A customer's invoices for the merchant's API (billing.services.invoices.ports.InvoiceReads): the
invoices table's `customer_index` (customer key -> period start), newest first. The continuation key
is rebuilt from the caller's tenant and customer, never taken from the client."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from billing.adapters.dynamo.stores import DynamoInvoiceLedger, customer_key, stored_invoice
from billing.services.ports import StoredInvoice


class DynamoInvoiceReads:
    def __init__(self) -> None:
        self._ledger = DynamoInvoiceLedger()

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self._ledger.get(tenant_id, invoice_id)

    @staticmethod
    def customer_exists(tenant_id: str, customer_id: str) -> bool:
        try:
            CustomerModel.get(tenant_id, customer_id, attributes_to_get=["customer_id"])
        except DoesNotExist:
            return False
        return True

    def page(
        self, tenant_id: str, customer_id: str, after: tuple[str, str] | None, limit: int
    ) -> tuple[Sequence[StoredInvoice], tuple[str, str] | None]:
        key = customer_key(tenant_id, customer_id)
        start = None
        if after is not None:
            period_start, invoice_id = after
            start = {
                "tenant_id": {"S": tenant_id},
                "invoice_id": {"S": invoice_id},
                "customer_key": {"S": key},
                "period_start": {"S": period_start},
            }
        result = InvoiceModel.customer_index.query(
            key, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start
        )
        items = list(result)
        last = result.last_evaluated_key
        position = (
            (last["period_start"]["S"], last["invoice_id"]["S"]) if last and len(items) == limit else None
        )
        return [stored_invoice(i) for i in items], position
