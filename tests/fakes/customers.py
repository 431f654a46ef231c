"""In-memory `CustomerRecords` (services/customers/ports.py), with the adapter's conditions: a create
refused for an id the tenant has, a replace refused when the record changed since it was read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from billing.services.customers.ports import CustomerRecord


@dataclass
class FakeCustomerRecords:
    records: dict[tuple[str, str], CustomerRecord] = field(default_factory=dict)
    # Set to change a record between a use case's read and its write (a concurrent update).
    changed_behind: CustomerRecord | None = None

    def create(self, tenant_id: str, record: CustomerRecord) -> bool:
        key = (tenant_id, record.customer_id)
        if key in self.records:
            return False
        self.records[key] = record
        return True

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord | None:
        return self.records.get((tenant_id, customer_id))

    def replace(self, tenant_id: str, record: CustomerRecord, read_at: datetime) -> bool:
        key = (tenant_id, record.customer_id)
        if self.changed_behind is not None:
            self.records[key], self.changed_behind = self.changed_behind, None
        current = self.records.get(key)
        if current is None or current.updated_at != read_at:
            return False
        self.records[key] = record
        return True

    def page(self, tenant_id: str, after: str | None, limit: int) -> tuple[Sequence[CustomerRecord], bool]:
        mine = sorted(
            (r for (t, _), r in self.records.items() if t == tenant_id), key=lambda r: r.customer_id
        )
        rest = [r for r in mine if after is None or r.customer_id > after]
        return rest[:limit], len(rest) > limit
