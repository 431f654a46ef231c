"""Change a customer's details (`POST /v1/customers/{id}`, `billing customer update`).

Only the fields sent change; the result is checked whole (an org_number needs is_business, a VAT
number its country), so a change can never leave a customer the billing run could not read. The write
is conditional on the record being unchanged since it was read: two concurrent updates cannot lose
one another's fields (the later one is answered 409 and may simply be sent again).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from billing.services.customers.fields import CustomerFields, CustomerUpdate, CustomerView
from billing.services.customers.get import not_found
from billing.services.customers.ports import CustomerRecords
from billing.services.customers.records import to_fields, to_record, to_view
from billing.services.errors import PermanentError
from billing.services.ports import Clock


class CustomerChanged(PermanentError):
    """The customer changed between our read and our write (HTTP 409): send the update again."""


class InvalidFields(PermanentError):
    """The merged details fail a check; `errors` lists every (field, reason)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        field, reason = errors[0]
        super().__init__(reason, field=field, code="invalid")
        self.errors = errors


def check_fields(data: dict[str, object]) -> CustomerFields:
    try:
        return CustomerFields.model_validate(data)
    except ValidationError as error:
        raise InvalidFields(
            [(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in error.errors()]
        ) from None


@dataclass(frozen=True)
class UpdateCustomer:
    records: CustomerRecords
    clock: Clock

    def __call__(self, tenant_id: str, customer_id: str, request: CustomerUpdate) -> CustomerView:
        current = self.records.get(tenant_id, customer_id)
        if current is None:
            raise not_found(customer_id)
        fields = check_fields(to_fields(current) | request.model_dump(exclude_unset=True))
        now = max(self.clock.now(), current.updated_at)
        record = to_record(customer_id, fields, current.created_at, now, current.has_subscription)
        if not self.records.replace(tenant_id, record, read_at=current.updated_at):
            raise CustomerChanged(
                f"customer {customer_id!r} changed while updating; send the update again",
                field="customer_id",
                code="conflict",
            )
        return to_view(record)
