"""In-memory `ExitConfirmations` (services/subscriptions/customer_exit.py): the one claim per customer
and day that lets one caller send a confirmation, given back when the send fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class FakeClaims:
    claims: set[tuple[str, str, date]] = field(default_factory=set)

    def claim(self, tenant_id: str, customer_id: str, day: date) -> bool:
        if (tenant_id, customer_id, day) in self.claims:
            return False
        self.claims.add((tenant_id, customer_id, day))
        return True

    def release(self, tenant_id: str, customer_id: str, day: date) -> None:
        self.claims.discard((tenant_id, customer_id, day))
