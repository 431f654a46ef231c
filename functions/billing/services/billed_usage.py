"""The usage an invoice (or its plan-fit advice) is computed from: daily totals where they suffice.

Ingestion keeps, with every event, a daily total per customer and metric (docs/usage.md). A metric every
charge of which in the catalog is a sum or a count of event values, without filters, is billed from those
totals: a handful of items a month however many events the customer sent. Other metrics (maximum,
latest, unique count, weighted sum, filters, a percentage of each event) need their events, which are
read raw; the totals' metrics are dropped from that read so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from billing.domain.catalog import Aggregation, Catalog
from billing.domain.periods import local_midnight
from billing.domain.usage import UsageEvent, additive_metrics, daily_total_events, metered_metrics
from billing.services.ports import UsageReader


def billed_usage(
    reader: UsageReader,
    catalog: Catalog,
    tenant_id: str,
    customer_id: str,
    timezone: str,
    first_day: date,
    end_day: date,
    raw_from: datetime | None = None,
    shards: int = 1,
) -> list[UsageEvent]:
    """Usage for the customer's local days [first_day, end_day). Raw events, where needed, are read
    from `raw_from` (default: first_day's midnight); a weighted sum needs the level held before.
    `shards`: the customer's CustomerAccount.usage_shards, for the totals read."""
    summed = additive_metrics(catalog)
    events: list[UsageEvent] = []
    if metered_metrics(catalog) - summed:
        tz = ZoneInfo(timezone)
        start = raw_from or local_midnight(first_day, tz)
        raw = reader.events(tenant_id, customer_id, start, local_midnight(end_day, tz))
        events += [e for e in raw if e.metric not in summed]
    if summed and first_day < end_day:
        totals = reader.daily(tenant_id, customer_id, first_day, end_day - timedelta(days=1), shards)
        kept = {key: total for key, total in totals.items() if key[1] in summed}
        events += daily_total_events(customer_id, kept, timezone)
    return events


def billed_window(
    events: Sequence[UsageEvent], catalog: Catalog, first_day: date, timezone: str
) -> list[UsageEvent]:
    """Of `events` (read for the page's plan-fit periods too, raw events from a year back), what the
    invoice for usage from `first_day` needs: everything from that day's midnight, and earlier events
    only of metrics a weighted sum bills (its opening level is the last event before the window).
    Nothing else before the window changes an amount, so leaving it out spares the engine sorting
    months of totals and events."""
    weighted = {
        c.metric
        for plan in catalog.plans.values()
        for c in plan.charges
        if c.aggregation is Aggregation.WEIGHTED_SUM
    }
    start = local_midnight(first_day, ZoneInfo(timezone))
    return [e for e in events if e.timestamp >= start or e.metric in weighted]
