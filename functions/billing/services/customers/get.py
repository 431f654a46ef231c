"""Read one customer (`GET /v1/customers/{id}`): only ever within the caller's tenant."""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.customers.fields import CustomerView
from billing.services.customers.ports import CustomerRecords
from billing.services.customers.records import to_view
from billing.services.errors import PermanentError


class CustomerNotFound(PermanentError):
    """No customer with this id in the caller's tenant (HTTP 404). Another tenant's customer is
    exactly as absent as one that never existed."""


def not_found(customer_id: str) -> CustomerNotFound:
    return CustomerNotFound(f"no customer {customer_id!r}", field="customer_id", code="not_found")


@dataclass(frozen=True)
class GetCustomer:
    records: CustomerRecords

    def __call__(self, tenant_id: str, customer_id: str) -> CustomerView:
        record = self.records.get(tenant_id, customer_id)
        if record is None:
            raise not_found(customer_id)
        return to_view(record)
