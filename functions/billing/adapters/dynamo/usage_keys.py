"""Usage keys and each customer's shard count for daily totals: how many, when to raise it, the migration.

A customer's daily totals live under `<tenant>#<customer>#t<shard>` for shards 0..usage_shards-1;
shard 0 is the one key an ordinary customer ever has, so the billing worker reads their totals with
one Query. The count is recorded on the customer item (`usage_shards`: 1 from creation; absent on a
customer created before counts were kept, whose totals are over HOT_SHARDS keys), which ingestion
reads with every batch anyway (BatchGetItem of the batch's customers), so it learns a change with its
next batch at no cost. It is only ever raised: totals written before a raise sit on shard 0 (or on
shards below the old count), and a reader with the new count reads those too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date
from decimal import Decimal
from functools import partial

from billing.adapters.dynamo.conditions import written
from billing.adapters.dynamo.models import CustomerModel, UsageLedgerModel
from billing.domain.usage import VALUE_DECIMALS, UsageEvent

# The most shards a customer gets, and the count a hot customer is raised to. The code before shard
# counts were recorded spread every customer over this many, so it is what an absent count means: no
# migration to run, and no total written then is ever left unread.
HOT_SHARDS = 8
TOTAL_SHARDS = HOT_SHARDS  # erasure and legacy readers: every key a customer's totals can have
# DynamoDB takes 1,000 WCU/s per partition; an ADD to a total inside a transaction costs 2 WCU, and a
# transaction holds at most one ADD per (total, chunk), so one total item takes about 500 events/s in
# the worst case (every event its own chunk). A customer sending a million events a day averages
# 11.6/s: a peak 40 times the average still fits one partition. Above that, HOT_SHARDS keys.
HOT_EVENTS_PER_DAY = 1_000_000
# Each ingestion instance looks at a customer's measured day (one Query of shard 0) after every this
# many of that customer's events it wrote itself: the check costs one read per 10,000 events.
HOT_CHECK_EVERY = 10_000
_MICROS = Decimal(10) ** VALUE_DECIMALS


def marker_key(tenant_id: str, event_id: str) -> str:
    return f"{tenant_id}#id#{event_id}"


def shard_of(event_id: str, shards: int = HOT_SHARDS) -> int:
    """The shard an event's total goes to among `shards` (0 when there is one)."""
    if shards <= 1:
        return 0
    return int(hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:8], 16) % shards


def totals_key(tenant_id: str, customer_id: str, shard: int) -> str:
    return f"{tenant_id}#{customer_id}#t{shard}"


def raw_event_key(event: UsageEvent) -> str:
    # The key DynamoUsageStore.events reads: "<UTC iso timestamp>#<event id>", time-ordered.
    return f"{event.timestamp.astimezone(UTC).isoformat()}#{event.id}"


def to_micros(value: Decimal) -> int:
    return int((value * _MICROS).to_integral_exact())


def shards_of(item: CustomerModel) -> int:
    """The customer item's recorded shard count; absent: HOT_SHARDS, as every customer had then."""
    return max(1, int(item.usage_shards)) if item.usage_shards else HOT_SHARDS


def raise_usage_shards(tenant_id: str, customer_id: str, shards: int) -> bool:
    """Record `shards` for the customer unless it has as many already (a count never goes down, so
    concurrent raises and a late one with a smaller count are harmless). False: nothing changed."""
    return written(
        partial(
            CustomerModel(tenant_id, customer_id).update,
            actions=[CustomerModel.usage_shards.set(shards)],
            condition=CustomerModel.customer_id.exists()
            & (CustomerModel.usage_shards.does_not_exist() | (CustomerModel.usage_shards < shards)),
        )
    )


def events_on(tenant_id: str, customer_id: str, day: date) -> int:
    """Events recorded on the customer's shard 0 for `day` (all metrics): the volume measure. With one
    shard it is the day's whole count; a customer already sharded is not measured again."""
    items = UsageLedgerModel.query(
        totals_key(tenant_id, customer_id, 0),
        UsageLedgerModel.sk.startswith(f"{day.isoformat()}#"),
        consistent_read=True,
        attributes_to_get=["event_count"],
    )
    return sum(int(item.event_count or 0) for item in items)


class HotCustomers:
    """Per instance: counts the events it writes per customer and day, and every HOT_CHECK_EVERY of them
    measures the customer's day; a customer over HOT_EVENTS_PER_DAY is raised to HOT_SHARDS."""

    def __init__(self, threshold: int = HOT_EVENTS_PER_DAY, every: int = HOT_CHECK_EVERY) -> None:
        self.threshold = threshold
        self.every = every
        self._written: dict[tuple[str, str, date], int] = {}

    def wrote(self, tenant_id: str, customer_id: str, day: date, events: int, shards: int) -> bool:
        """After `events` of the customer's were written for `day`: True when this raised its count."""
        if shards >= HOT_SHARDS:
            return False
        key = (tenant_id, customer_id, day)
        before = self._written.get(key, 0)
        after = before + events
        if len(self._written) > 10_000:  # days gone by and quiet customers: start counting afresh
            self._written.clear()
        self._written[key] = after
        if before // self.every == after // self.every:
            return False
        if events_on(tenant_id, customer_id, day) < self.threshold:
            return False
        return raise_usage_shards(tenant_id, customer_id, HOT_SHARDS)


__all__ = [
    "HOT_SHARDS",
    "TOTAL_SHARDS",
    "HotCustomers",
    "marker_key",
    "raise_usage_shards",
    "raw_event_key",
    "shard_of",
    "shards_of",
    "to_micros",
    "totals_key",
]
