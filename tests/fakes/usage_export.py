"""In-memory `UsageExportReader` (services/customer_data/usage_export.py): a customer's stored events
by their sort key "<UTC ISO time>#<event id>", a page at a time, and their daily totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


@dataclass
class FakeUsageExport:
    events: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (tenant, customer)
    totals: dict[tuple[str, str], dict[tuple[date, str], tuple[Decimal, int]]] = field(default_factory=dict)

    @staticmethod
    def key(event: dict[str, Any]) -> str:
        at = datetime.fromisoformat(event["timestamp"]).astimezone(UTC)
        return f"{at.isoformat()}#{event['id']}"

    def event_page(
        self, tenant_id: str, customer_id: str, start: datetime, end: datetime, after: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        lo, hi = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
        keyed = sorted((self.key(e), e) for e in self.events.get((tenant_id, customer_id), []))
        inside = [(k, e) for k, e in keyed if lo <= k < hi and (after is None or k > after)]
        page = inside[:limit]
        return page, page[-1][0] if len(inside) > limit and page else None

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date, shards: int = 1
    ) -> dict[tuple[date, str], tuple[Decimal, int]]:
        days = self.totals.get((tenant_id, customer_id), {})
        return {k: v for k, v in days.items() if first_day <= k[0] <= last_day}
