"""Usage events and the aggregations that turn a period's events into a billable quantity.

Events are deduplicated by id and put in a canonical order (timestamp, id) before anything is summed,
so the same events in any order give the same invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from billing.domain.catalog import Aggregation, Charge
from billing.domain.money import calculation_context

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


def canonical(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    """Events without duplicate ids, ordered by (timestamp, id): the one order every sum uses."""
    # Value and properties in the key too: two events sharing an id keep the same one in any order.
    ordered = sorted(events, key=lambda e: (e.timestamp, e.id, e.value, sorted(e.properties.items())))
    seen: set[str] = set()
    result = []
    for event in ordered:
        if event.id not in seen:
            seen.add(event.id)
            result.append(event)
    return result


def relevant(events: Sequence[UsageEvent], charge: Charge) -> list[UsageEvent]:
    """The events of the charge's metric that pass its filters (events already canonical)."""
    return [e for e in events if e.metric == charge.metric and charge.matches(e.properties)]


def in_window(events: Sequence[UsageEvent], start: datetime, end: datetime) -> list[UsageEvent]:
    return [e for e in events if start <= e.timestamp < end]


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
        return Decimal(len(inside))
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
    return _weighted(charge, events, start, end, period_start, period_end)


def _weighted(
    charge: Charge,
    events: Sequence[UsageEvent],
    start: datetime,
    end: datetime,
    period_start: datetime,
    period_end: datetime,
) -> Decimal:
    # Each event sets the level from its instant on; the level before the first event is zero.
    level = Decimal(0)
    for event in events:
        if event.timestamp < start:
            level = event.number(charge.field)
    total = Decimal(0)
    cursor = start
    with localcontext(calculation_context()):
        for event in in_window(events, start, end):
            total += level * Decimal(_micros(event.timestamp - cursor))
            cursor = event.timestamp
            level = event.number(charge.field)
        total += level * Decimal(_micros(end - cursor))
        whole = Decimal(_micros(period_end - period_start))
        return (total / whole).quantize(Decimal(1).scaleb(-WEIGHTED_QUANTITY_DECIMALS), ROUND_HALF_UP)


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)
