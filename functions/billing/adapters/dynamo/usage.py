"""DynamoDB side of usage ingestion and its reads: API keys, the customers a batch names, the daily totals.

The ledger's writes (an event's item and its daily total, exactly once) are usage_ledger's,
re-exported here; keys and each customer's shard count are billing.adapters.dynamo.usage_keys. A
customer's daily totals are read with one Query when it has one shard (an ordinary customer), and
with one Query per shard, side by side, when ingestion measured it hot. docs/usage.md has the keys.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import ApiKeyModel, CustomerModel, UsageLedgerModel
from billing.adapters.dynamo.stores import DynamoUsageStore, customer_key
from billing.adapters.dynamo.stores.directories import customer_account
from billing.adapters.dynamo.usage_events import events_between
from billing.adapters.dynamo.usage_keys import (
    HOT_SHARDS,
    TOTAL_SHARDS,
    marker_key,
    raw_event_key,
    shard_of,
    to_micros,
    totals_key,
)
from billing.adapters.dynamo.usage_ledger import USAGE_TTL, DynamoUsageLedger
from billing.adapters.thread_context import map_in_context
from billing.domain.scenario import parse_usage_event
from billing.domain.usage import VALUE_DECIMALS, bad_value
from billing.services.errors import PermanentError
from billing.services.ports import SCOPE_USAGE, CustomerAccount, KeyGrant

KEY_CACHE_SECONDS = 60.0
KEY_CACHE_ENTRIES = 1000  # known keys per container: far more than one tenant ever has
_MICROS = Decimal(10) ** VALUE_DECIMALS


@cache
def _shard_readers() -> ThreadPoolExecutor:
    # One per process, reused by every invoice a warm Lambda instance issues for a sharded customer.
    return ThreadPoolExecutor(max_workers=HOT_SHARDS - 1, thread_name_prefix="usage-totals")


class DynamoApiKeys:
    """API keys by hash, with the tenant and scope each grants. Known keys are cached for a minute per
    warm container (a revoked key stops working within that minute), at most `max_entries` of them,
    oldest out first. Unknown keys are not cached at all: 40,000 random keys would otherwise fill a
    container's memory, and each costs a read either way (the route's throttling bounds how many
    arrive)."""

    def __init__(self, max_entries: int = KEY_CACHE_ENTRIES) -> None:
        self._cache: OrderedDict[str, tuple[float, KeyGrant]] = OrderedDict()
        self.max_entries = max_entries

    def grant_for(self, key_hash: str) -> KeyGrant | None:
        hit = self._cache.get(key_hash)
        if hit is not None and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
            self._cache.move_to_end(key_hash)
            return hit[1]
        self._cache.pop(key_hash, None)
        try:
            item = ApiKeyModel.get(key_hash)
        except DoesNotExist:
            return None
        if item.revoked_at is not None:
            return None
        grant = KeyGrant(item.tenant_id, item.scope or SCOPE_USAGE)
        self._cache[key_hash] = (time.monotonic(), grant)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return grant

    def tenant_for(self, key_hash: str) -> str | None:
        # Usage ingestion: every scope may write usage (a full key includes it).
        grant = self.grant_for(key_hash)
        return grant.tenant_id if grant is not None else None

    @staticmethod
    def put(
        key_hash: str, tenant_id: str, prefix: str, label: str | None, now: datetime, scope: str = SCOPE_USAGE
    ) -> None:
        try:
            ApiKeyModel(
                key_hash,
                tenant_id=tenant_id,
                prefix=prefix,
                label=label,
                scope=scope,
                created_at=now.astimezone(UTC),
            ).save(condition=ApiKeyModel.key_hash.does_not_exist())
        except PutError as exc:
            raise PermanentError("a key with this hash exists already", field="key_hash") from exc

    def revoke(self, key_hash: str, tenant_id: str, now: datetime) -> bool:
        # The condition on the tenant keeps one tenant's operator from revoking another's key.
        try:
            ApiKeyModel(key_hash).update(
                actions=[ApiKeyModel.revoked_at.set(now.astimezone(UTC))],
                condition=ApiKeyModel.key_hash.exists() & (ApiKeyModel.tenant_id == tenant_id),
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise
        self._cache.pop(key_hash, None)
        return True


class DynamoUsageCustomers:
    def accounts(self, tenant_id: str, customer_ids: Collection[str]) -> dict[str, CustomerAccount]:
        accounts: dict[str, CustomerAccount] = {}
        keys = [(tenant_id, c) for c in sorted(customer_ids)]
        # BatchGetItem, strongly consistent: the schedule a run may just have advanced is what counts.
        for item in CustomerModel.batch_get(keys, consistent_read=True):
            account = customer_account(item)
            if account is not None:  # without a subscription nothing its usage could be billed on
                accounts[item.customer_id] = account
        return accounts


class DynamoUsageTotals:
    """Daily totals read back: the customer's shards queried and summed (one Query for one shard)."""

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date, shards: int = 1
    ) -> dict[tuple[date, str], tuple[Decimal, int]]:
        """(local day, metric) -> (sum of values, number of events), for days in [first_day, last_day];
        `shards` is the customer's recorded count (CustomerAccount.usage_shards)."""

        def shard(n: int) -> list[UsageLedgerModel]:
            return list(
                UsageLedgerModel.query(
                    totals_key(tenant_id, customer_id, n),
                    UsageLedgerModel.sk.between(first_day.isoformat(), last_day.isoformat() + "~"),
                    consistent_read=True,
                )
            )

        # The first shard alone, so PynamoDB's client exists before threads share it (botocore builds
        # clients unsafely across threads, then uses one safely); the others at once, not in turn.
        items = shard(0)
        if shards > 1:
            for found in map_in_context(_shard_readers(), shard, range(1, min(shards, TOTAL_SHARDS))):
                items += found
        out: dict[tuple[date, str], tuple[Decimal, int]] = {}
        for item in items:
            day_text, metric = item.sk.split("#", 1)
            key = (date.fromisoformat(day_text), metric)
            total, count = out.get(key, (Decimal(0), 0))
            out[key] = (
                total + Decimal(int(item.total_micros or 0)) / _MICROS,
                count + int(item.event_count or 0),
            )
        return out

    def has_marker(self, tenant_id: str, event_id: str) -> bool:
        try:
            UsageLedgerModel.get(marker_key(tenant_id, event_id), "-", consistent_read=True)
        except DoesNotExist:
            return False
        return True


class DynamoUsageReader(DynamoUsageStore, DynamoUsageTotals):
    """What the billing worker reads: daily totals for metrics billed by sum or count, raw events for
    the rest (services/billing_run.py decides which, from the catalog)."""


def load_history(tenant_id: str, timezone: str, events: Sequence[dict[str, Any]], shards: int = 1) -> None:
    """Bulk-load one customer's past usage (the demo, tests, benchmarks, a migration): each event's
    ledger item (its raw event and duplicate marker) and its share of the daily totals, written with
    BatchWriteItem.

    The totals are computed here and written whole, not added to: load a customer's days before any
    ingestion for them, and once. `timezone` is the customer's: it decides each event's local day, as
    ingestion's does. Values follow ingestion's rule of at most six decimals. `shards`: the customers'
    recorded count (1 unless the caller recorded more on them).
    """
    now = datetime.now(UTC)
    totals: dict[tuple[str, str, str], tuple[int, int]] = {}
    tz = ZoneInfo(timezone)
    with UsageLedgerModel.batch_write() as ledger_batch:
        for i, doc in enumerate(events):
            event = parse_usage_event(doc, f"events[{i}]")
            if bad_value(event.value):  # ingestion's rule: totals are exact integers of millionths
                raise ValueError(f"events[{i}].value: below 10^15 with at most {VALUE_DECIMALS} decimals")
            at = event.timestamp.astimezone(UTC)
            ledger_batch.save(
                UsageLedgerModel(
                    marker_key(tenant_id, event.id),
                    "-",
                    customer_id=event.customer_id,
                    event_customer=customer_key(tenant_id, event.customer_id),
                    event_key=raw_event_key(event),
                    event=doc,
                    expires_at=max(at, now) + USAGE_TTL,
                )
            )
            total = (
                totals_key(tenant_id, event.customer_id, shard_of(event.id, shards)),
                f"{at.astimezone(tz).date().isoformat()}#{event.metric}",
                event.customer_id,
            )
            micros, count = totals.get(total, (0, 0))
            totals[total] = (micros + to_micros(event.value), count + 1)
        for (pk, sk, customer_id), (micros, count) in totals.items():
            ledger_batch.save(
                UsageLedgerModel(pk, sk, total_micros=micros, event_count=count, customer_id=customer_id)
            )


class DynamoUsageExport(DynamoUsageTotals):
    """The customer's usage for the download from their invoice page (billing.services.customer_data):
    a page of raw events at a time, and the daily totals."""

    def event_page(
        self, tenant_id: str, customer_id: str, start: datetime, end: datetime, after: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        lo, hi = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
        if after is not None and after > lo:
            lo = after + "\x00"  # strictly after the last key given out
        items = list(itertools.islice(events_between(tenant_id, customer_id, lo, hi, limit + 1), limit + 1))
        page = [(key, event) for key, event in items[:limit] if key < hi]
        more = len(items) > limit and items[limit][0] < hi
        return page, page[-1][0] if more and page else None


__all__ = [
    "USAGE_TTL",
    "DynamoApiKeys",
    "DynamoUsageCustomers",
    "DynamoUsageExport",
    "DynamoUsageLedger",
    "DynamoUsageReader",
    "DynamoUsageTotals",
    "load_history",
    "marker_key",
    "totals_key",
]
