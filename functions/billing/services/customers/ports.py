"""The customer records the merchant's use cases read and write (adapters/dynamo/customers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as stored: the profile document (the domain Customer's shape, docs/pricing.md)
    plus what the merchant keeps beside it."""

    customer_id: str
    profile: dict[str, Any]
    email: str
    personal_number: str | None  # 12 digits; never printed on an invoice
    created_at: datetime
    updated_at: datetime
    has_subscription: bool = False


class CustomerRecords(Protocol):
    def create(self, tenant_id: str, record: CustomerRecord) -> bool:
        """Store a new customer; False when the tenant already has one with that id."""
        ...

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord | None: ...

    def replace(self, tenant_id: str, record: CustomerRecord, read_at: datetime) -> bool:
        """Store new details for an existing customer, only if it was not changed since `read_at`
        (its updated_at then); False when it was."""
        ...

    def page(self, tenant_id: str, after: str | None, limit: int) -> tuple[Sequence[CustomerRecord], bool]:
        """Up to `limit` customers in id order after `after`, and whether more follow."""
        ...
