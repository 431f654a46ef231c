"""Usage events, their values, the ledger's record, and the aggregations into a billable quantity.

Events are deduplicated by id and put in a canonical order (timestamp, id) before anything is summed,
so the same events in any order give the same invoice.

A daily total (the sum and number of one metric's events on one local day, kept by ingestion) can stand
in for those events wherever only sums and counts are asked for: `additive_metrics` names the metrics of
a catalog for which that holds, and `daily_total_events` turns totals into events that say how many
events they stand for (`count`). `relevant` refuses a total for any charge that would need the events
themselves, so a total can never change an amount silently.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.catalog import Aggregation, Catalog, Charge, ChargeModel
from billing.domain.money import calculation_context
from billing.domain.periods import local_midnight

# Weighted sums are quantised to this many decimals before pricing, so the printed quantity times the
# printed unit price is the amount.
WEIGHTED_QUANTITY_DECIMALS = 4


@dataclass(frozen=True)
class UsageEvent:
    """One metered fact: `value` of `metric` at `timestamp` (aware), with free-form string properties.

    The id is the customer's idempotency key: the same id twice is one event.
    """

    id: str
    customer_id: str
    metric: str
    timestamp: datetime  # aware
    value: Decimal = Decimal(1)
    properties: dict[str, str] = field(default_factory=dict)
    # How many metered events this one stands for: 1, or the number summed into a daily total.
    count: int = 1

    def number(self, name: str | None) -> Decimal:
        """The event's value, or the numeric property `name`."""
        if name is None:
            return self.value
        raw = self.properties.get(name)
        if raw is None:
            return Decimal(0)
        try:
            return Decimal(raw)
        except ArithmeticError:
            return Decimal(0)


NEGATIVE_USAGE = (
    "must not be negative: usage counts what was used; correct a count by sending a new event "
    "(docs/usage.md, Corrections)"
)


def usage_value_problem(value: Decimal) -> str | None:
    """Why `value` cannot be a usage value, or None. Usage is a fact about what was used, so it is
    never negative: a negative value would become a negative usage line, and a negative spend would
    drive the commitment true-up. Ingestion and `billing quote` both read events through
    `billing.domain.scenario.parse_usage_event`, which applies this rule."""
    if value < 0:
        return NEGATIVE_USAGE
    return None


# Totals are kept as exact integers of millionths; a finer value could not be added up exactly.
VALUE_DECIMALS = 6
MAX_ABS_VALUE = Decimal(10) ** 15


def bad_value(value: Decimal) -> bool:
    """True when `value` cannot be stored: not finite, 10^15 or more, finer than VALUE_DECIMALS, or a
    zero written in a way that is not plain 0 (-0, 0E-999999999): the raw value is stored as sent."""
    if not value.is_finite() or abs(value) >= MAX_ABS_VALUE:
        return True
    exponent = value.as_tuple().exponent
    if value.is_zero():
        return value.is_signed() or not isinstance(exponent, int) or not -VALUE_DECIMALS <= exponent <= 0
    # Compared, not normalised: normalising 1E-999999999 underflows to 0 and would pass as 0.
    return value.adjusted() < -VALUE_DECIMALS or value != value.quantize(Decimal(10) ** -VALUE_DECIMALS)


@dataclass(frozen=True)
class UsageRecord:
    """One valid event, as the ledger stores it."""

    index: int
    event: UsageEvent  # timestamp = the instant it is billed at (moved forward for an adjustment)
    day: date  # the local day of that instant in the customer's timezone: the daily total it adds to
    original_timestamp: datetime | None = None  # set for an adjustment
    shards: int = 1  # the customer's CustomerAccount.usage_shards: the keys its daily total may go to

    def document(self) -> dict[str, Any]:
        """The stored event, in the shape `parse_usage_event` reads back (the worker's raw events)."""
        doc: dict[str, Any] = {
            "id": self.event.id,
            "customer_id": self.event.customer_id,
            "metric": self.event.metric,
            "timestamp": self.event.timestamp.isoformat(),
            "value": str(self.event.value),
        }
        if self.event.properties:
            doc["properties"] = dict(self.event.properties)
        return doc


_ORDER = attrgetter("timestamp", "id")
_TIMESTAMP = attrgetter("timestamp")


def _full_key(e: UsageEvent) -> tuple[datetime, str, Decimal, list[tuple[str, str]]]:
    return (e.timestamp, e.id, e.value, sorted(e.properties.items()))


def canonical(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    """Events without duplicate ids, ordered by (timestamp, id): the one order every sum uses.

    Of events sharing an id the one first by (timestamp, id, value, properties) is kept, so the same
    events in any order keep the same one. Only ids seen more than once pay for that comparison; the
    rest are sorted by (timestamp, id), which is a total order once ids are unique.
    """
    given = list(events)
    first = {e.id: e for e in reversed(given)}  # the first of each id, in input order
    if len(first) < len(given):
        for event in given:
            kept = first[event.id]
            if kept is not event and _full_key(event) < _full_key(kept):
                first[event.id] = event
    return sorted(first.values(), key=_ORDER)


def by_metric(events: Iterable[UsageEvent]) -> dict[str, list[UsageEvent]]:
    """Canonical events grouped by metric, each group still in canonical order: grouped once per
    invoice, so each charge looks only at its own metric's events."""
    groups: defaultdict[str, list[UsageEvent]] = defaultdict(list)
    for event in events:
        groups[event.metric].append(event)
    return dict(groups)


def relevant(events: Sequence[UsageEvent], charge: Charge) -> list[UsageEvent]:
    """The events of the charge's metric that pass its filters (events already canonical)."""
    mine = [e for e in events if e.metric == charge.metric]
    if charge.filters:
        mine = [e for e in mine if charge.matches(e.properties)]
    if not is_additive(charge) and any(e.count != 1 for e in mine):
        # A total has lost what this charge needs (single values, properties, instants).
        raise ValueError(f"charge {charge.code}: {charge.aggregation} needs single events, not daily totals")
    return mine


# Charge models that price a quantity; the percentage model prices each event on its own.
_QUANTITY_MODELS = frozenset(
    {ChargeModel.PER_UNIT, ChargeModel.GRADUATED, ChargeModel.VOLUME, ChargeModel.PACKAGE}
)


def is_additive(charge: Charge) -> bool:
    """True when the sum and count of a day's events of the metric give this charge all it needs."""
    return (
        charge.model in _QUANTITY_MODELS
        and charge.aggregation in (Aggregation.COUNT, Aggregation.SUM)
        and charge.field is None
        and not charge.filters
    )


def metered_metrics(catalog: Catalog) -> frozenset[str]:
    """The metrics some charge of the catalog bills."""
    return frozenset(c.metric for plan in catalog.plans.values() for c in plan.charges if c.metric)


def additive_metrics(catalog: Catalog) -> frozenset[str]:
    """The metrics every charge of which, in every plan of the catalog, can be billed from daily totals."""
    charges = [c for plan in catalog.plans.values() for c in plan.charges]
    return frozenset(
        m for m in metered_metrics(catalog) if all(is_additive(c) for c in charges if c.metric == m)
    )


def daily_total_events(
    customer_id: str, totals: Mapping[tuple[date, str], tuple[Decimal, int]], timezone: str
) -> list[UsageEvent]:
    """One event per (local day, metric) total, at the day's first instant in the customer's timezone.

    Ingestion adds each event to the total of the local day of the instant it is billed at, and billing
    windows open and close at local midnights, so a day's total falls in the same window as its events.
    """
    tz = ZoneInfo(timezone)
    return [
        UsageEvent(
            id=f"total:{metric}:{day.isoformat()}",
            customer_id=customer_id,
            metric=metric,
            timestamp=local_midnight(day, tz),
            value=value,
            count=count,
        )
        for (day, metric), (value, count) in sorted(totals.items())
        if count > 0
    ]


def in_window(events: Sequence[UsageEvent], start: datetime, end: datetime) -> list[UsageEvent]:
    """The events in [start, end); `events` in timestamp order (canonical), so the window is a slice
    found by bisection rather than a pass over every event for every window."""
    lo = bisect_left(events, start, key=_TIMESTAMP)
    return list(events[lo : bisect_left(events, end, lo=lo, key=_TIMESTAMP)])


def aggregate(
    charge: Charge,
    events: Sequence[UsageEvent],
    start: datetime,
    end: datetime,
    period_start: datetime,
    period_end: datetime,
) -> Decimal:
    """The quantity of `charge` for usage in [start, end).

    `events` are the charge's relevant canonical events, including earlier ones (a weighted sum needs the
    level held when the window opens). Weighted sums divide by the whole billing period
    [period_start, period_end), so a level held for half the period counts half.
    """
    inside = in_window(events, start, end)
    kind = charge.aggregation
    if kind is Aggregation.COUNT:
        return Decimal(sum(e.count for e in inside))
    if kind is Aggregation.SUM:
        return sum((e.number(charge.field) for e in inside), Decimal(0))
    if kind is Aggregation.MAX:
        return max((e.number(charge.field) for e in inside), default=Decimal(0))
    if kind is Aggregation.UNIQUE_COUNT:
        key = charge.field
        values = {e.properties.get(key, "") if key else str(e.value) for e in inside}
        values.discard("")
        return Decimal(len(values))
    if kind is Aggregation.LATEST:
        return inside[-1].number(charge.field) if inside else Decimal(0)
    return _weighted(charge.field, events, start, end, period_end - period_start)


def _weighted(
    field: str | None, events: Sequence[UsageEvent], start: datetime, end: datetime, period: timedelta
) -> Decimal:
    """The level of `field` held over [start, end), as a share of the whole billing `period`."""
    # Each event sets the level from its instant on; the level before the first event is zero.
    level = Decimal(0)
    for event in events:
        if event.timestamp < start:
            level = event.number(field)
    total = Decimal(0)
    cursor = start
    with localcontext(calculation_context()):
        for event in in_window(events, start, end):
            total += level * Decimal(_micros(event.timestamp - cursor))
            cursor = event.timestamp
            level = event.number(field)
        total += level * Decimal(_micros(end - cursor))
        whole = Decimal(_micros(period))
        return (total / whole).quantize(Decimal(1).scaleb(-WEIGHTED_QUANTITY_DECIMALS), ROUND_HALF_UP)


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)
