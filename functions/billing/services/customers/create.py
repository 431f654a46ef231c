"""Create a customer (`POST /v1/customers`, `billing customer create`)."""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.customers.fields import CustomerCreate, CustomerView
from billing.services.customers.ports import CustomerRecords
from billing.services.customers.records import new_customer_id, to_record, to_view
from billing.services.errors import PermanentError
from billing.services.ports import Clock


class CustomerExists(PermanentError):
    """The tenant already has a customer with this id (HTTP 409)."""


@dataclass(frozen=True)
class CreateCustomer:
    records: CustomerRecords
    clock: Clock

    def __call__(self, tenant_id: str, request: CustomerCreate) -> CustomerView:
        now = self.clock.now()
        customer_id = request.id or new_customer_id()
        record = to_record(customer_id, request, now, now, has_subscription=False)
        if not self.records.create(tenant_id, record):
            raise CustomerExists(f"customer {customer_id!r} exists already", field="id", code="conflict")
        return to_view(record)
