"""The monthly half of `billing report engagement` (issue 18): rows of (month, what, count) from a few
sources, laid out as one table of months. Each source is independent, so another can be added by
appending it to the list the CLI builds.

The counts source reads the tenant's monthly counters (billing.services.deliveries.ports
EngagementCounts): spend alerts set, removed and fired, exits (cancellations from the page), pauses
and undelivered emails, each added once when it happened. The price-change source reads the notices
(billing.services.price_changes.uptake): notices sent and each choice made (accept, switch, leave).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from billing.services.deliveries.ports import EngagementCounts
from billing.services.price_changes.uptake import NoticeReads, notice_counts

# The counters' names, in the order the report shows them, with their labels.
COUNTED = (
    ("alerts_set", "spend alerts set"),
    ("alerts_removed", "spend alerts removed"),
    ("alerts_fired", "spend alerts fired"),
    ("exits", "exits (cancelled from the page)"),
    ("pauses", "pauses"),
    ("emails_undelivered", "emails undelivered"),
)


@dataclass(frozen=True)
class MonthlyRow:
    month: str  # YYYY-MM
    label: str
    value: int


class EngagementSource(Protocol):
    def rows(self, tenant_id: str, first: str, last: str) -> Iterable[MonthlyRow]: ...


@dataclass(frozen=True)
class CountsSource:
    counts: EngagementCounts

    def rows(self, tenant_id: str, first: str, last: str) -> Iterable[MonthlyRow]:
        found = self.counts.month_counts(tenant_id, first, last)
        for month in months(first, last):
            for name, label in COUNTED:
                yield MonthlyRow(month, label, found.get((month, name), 0))


# The price-change rows: notice_counts' keys with their labels, in the report's order.
NOTICES = (
    ("notices", "price-change notices sent"),
    ("accept", "price changes accepted"),
    ("switch", "switched plan on a notice"),
    ("leave", "left on a notice"),
)


@dataclass(frozen=True)
class PriceChangeSource:
    notices: NoticeReads

    def rows(self, tenant_id: str, first: str, last: str) -> Iterable[MonthlyRow]:
        found = notice_counts(self.notices, tenant_id)
        for month in months(first, last):
            counted = found.get(month)
            for name, label in NOTICES:
                yield MonthlyRow(month, label, counted[name] if counted else 0)


def months(first: str, last: str) -> list[str]:
    day, end, out = date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"), []
    while day <= end:
        out.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def monthly_table(tenant_id: str, first: str, last: str, sources: Sequence[EngagementSource]) -> str:
    """Months as columns, one line per label (in the order the sources give them)."""
    cols = months(first, last)
    labels: list[str] = []
    values: dict[tuple[str, str], int] = {}
    for source in sources:
        for row in source.rows(tenant_id, first, last):
            if row.label not in labels:
                labels.append(row.label)
            values[(row.label, row.month)] = values.get((row.label, row.month), 0) + row.value
    width = max([len(x) for x in labels] + [10])
    lines = [f"{'per month':<{width}}  " + "  ".join(f"{m:>7}" for m in cols)]
    for label in labels:
        lines.append(f"{label:<{width}}  " + "  ".join(f"{values.get((label, m), 0):>7}" for m in cols))
    return "\n".join(lines)
