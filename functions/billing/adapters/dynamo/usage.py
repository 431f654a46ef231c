"""DynamoDB side of usage ingestion: API keys, the customers a batch names, and the usage ledger.

`DynamoUsageLedger.record` writes, per event and in one transaction with the other events of its chunk:
a duplicate marker (conditional: the event id was never seen), the raw event (UsageTable, read by the
billing worker, with a TTL) and an ADD to the daily total of its customer, metric and shard. A marker
that exists cancels the transaction; the cancellation reasons name the item, so that event is reported
as a duplicate and the rest are written again without it. Concurrent writers of the same events
(the same batch sent twice at once) cancel each other or find the marker: either way one of them wins
and the totals are added once. Keys and the hot-customer reasoning: docs/usage.md.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.models import ApiKeyModel, CustomerModel, UsageLedgerModel, UsageModel
from billing.adapters.dynamo.stores import DynamoUsageStore, customer_key
from billing.domain.scenario import parse_customer, parse_subscription, parse_usage_event
from billing.domain.usage import UsageEvent
from billing.services.api_keys import SCOPE_USAGE, KeyGrant
from billing.services.errors import PermanentError, RetryableError
from billing.services.ingest_usage import VALUE_DECIMALS, UsageRecord, bad_value
from billing.services.ports import CustomerAccount

# Daily totals are spread over this many partition keys per customer (by a hash of the event id);
# one customer's writes then reach up to 8 x 1,000 WCU/s before a partition throttles.
TOTAL_SHARDS = 8
# A transaction holds at most 100 items on AWS: two puts per event plus at most one total per event.
# DynamoDB Local (the 2019 engine the local stack runs) still allows only 10: the ledger drops to
# EVENTS_PER_SMALL_TRANSACTION the first time a transaction is refused as too long.
EVENTS_PER_TRANSACTION = 33
EVENTS_PER_SMALL_TRANSACTION = 3
USAGE_TTL = timedelta(days=800)  # raw events and markers: the invoice's usage explanation and dedupe
CONFLICT_ATTEMPTS = 30
KEY_CACHE_SECONDS = 60.0
KEY_CACHE_ENTRIES = 1000  # known keys per container: far more than one tenant ever has
_MICROS = Decimal(10) ** VALUE_DECIMALS


@cache
def _connection() -> Connection:
    # One per process: a new Connection builds a new botocore client, which costs more than the write.
    return Connection()


@cache
def _shard_readers() -> ThreadPoolExecutor:
    # One per process, reused by every invoice a warm Lambda instance issues.
    return ThreadPoolExecutor(max_workers=TOTAL_SHARDS - 1, thread_name_prefix="usage-totals")


class _TooManyItems(Exception):
    """The database refused the transaction's length (DynamoDB Local): write smaller ones."""


def marker_key(tenant_id: str, event_id: str) -> str:
    return f"{tenant_id}#id#{event_id}"


def shard_of(event_id: str) -> int:
    return int(hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:8], 16) % TOTAL_SHARDS


def totals_key(tenant_id: str, customer_id: str, shard: int) -> str:
    return f"{tenant_id}#{customer_id}#t{shard}"


def raw_event_key(event: UsageEvent) -> str:
    # The key DynamoUsageStore.events reads: "<UTC iso timestamp>#<event id>", time-ordered.
    return f"{event.timestamp.astimezone(UTC).isoformat()}#{event.id}"


def to_micros(value: Decimal) -> int:
    return int((value * _MICROS).to_integral_exact())


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
            if exc.cause_response_code == "ConditionalCheckFailedException":
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
            if item.subscription is None or item.next_period_start is None:
                continue  # no subscription yet: nothing its usage could be billed on
            accounts[item.customer_id] = CustomerAccount(
                tenant_id=tenant_id,
                customer=parse_customer(item.profile),
                subscription=parse_subscription(item.subscription),
                email=item.email,
                next_period_start=date.fromisoformat(item.next_period_start),
                invoices_issued=int(item.invoices_issued or 0),
                balance=int(item.balance or 0),
                coupons=tuple(item.coupons or ()),
                spend_alert=dict(item.spend_alert or {}),
            )
        return accounts


class DynamoUsageLedger:
    events_per_transaction = EVENTS_PER_TRANSACTION

    def record(self, tenant_id: str, records: Sequence[UsageRecord]) -> set[int]:
        duplicates: set[int] = set()
        pending = list(records)
        while pending:
            size = self.events_per_transaction
            try:
                duplicates |= self._write(tenant_id, pending[:size])
            except _TooManyItems:
                if size <= EVENTS_PER_SMALL_TRANSACTION:
                    raise RetryableError("the database refused a transaction of 10 items") from None
                DynamoUsageLedger.events_per_transaction = EVENTS_PER_SMALL_TRANSACTION
                continue
            pending = pending[size:]
        return duplicates

    def _write(self, tenant_id: str, chunk: list[UsageRecord]) -> set[int]:
        duplicates: set[int] = set()
        attempt = 0
        while chunk:
            try:
                self._commit(tenant_id, chunk)
                return duplicates
            except TransactWriteError as exc:
                codes = [
                    getattr(r, "code", None) if r is not None else None for r in exc.cancellation_reasons
                ]
                seen = {
                    chunk[i].index
                    for i, code in enumerate(codes[: len(chunk)])
                    if code == "ConditionalCheckFailed"
                }
                if seen:
                    # Those ids were recorded before (by an earlier request, or a concurrent one that
                    # won): drop them and write the others.
                    duplicates |= seen
                    chunk = [r for r in chunk if r.index not in seen]
                    continue
                retryable = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
                if (set(codes) & retryable or not codes) and attempt < CONFLICT_ATTEMPTS:
                    # Another request is writing the same markers or totals right now: back off and
                    # look again (its markers then answer "duplicate", its totals are untouched).
                    attempt += 1
                    time.sleep(random.uniform(0.005, 0.02) * min(attempt, 10))
                    continue
                if exc.cause_response_code == "ValidationException" and "length less than" in str(exc.cause):
                    raise _TooManyItems from exc
                raise RetryableError(f"recording usage failed: {exc}") from exc
        return duplicates

    @staticmethod
    def _commit(tenant_id: str, chunk: list[UsageRecord]) -> None:
        now = datetime.now(UTC)
        totals: dict[tuple[str, str], tuple[int, int]] = {}
        for record in chunk:
            key = (
                totals_key(tenant_id, record.event.customer_id, shard_of(record.event.id)),
                f"{record.day.isoformat()}#{record.event.metric}",
            )
            micros, count = totals.get(key, (0, 0))
            totals[key] = (micros + to_micros(record.event.value), count + 1)
        with TransactWrite(connection=_connection()) as tx:
            # Order matters: markers first, so cancellation reason i is event i's marker.
            for record in chunk:
                tx.save(
                    UsageLedgerModel(
                        marker_key(tenant_id, record.event.id),
                        "-",
                        customer_id=record.event.customer_id,
                        event_key=raw_event_key(record.event),
                        expires_at=now + USAGE_TTL,
                    ),
                    condition=UsageLedgerModel.pk.does_not_exist(),
                )
            for record in chunk:
                expires = max(record.event.timestamp.astimezone(UTC), now) + USAGE_TTL
                tx.save(
                    UsageModel(
                        customer_key(tenant_id, record.event.customer_id),
                        raw_event_key(record.event),
                        event=record.document(),
                        expires_at=expires,
                    )
                )
            for (pk, sk), (micros, count) in totals.items():
                tx.update(
                    UsageLedgerModel(pk, sk),
                    actions=[
                        UsageLedgerModel.total_micros.add(micros),
                        UsageLedgerModel.event_count.add(count),
                        UsageLedgerModel.customer_id.set(pk.split("#")[1]),
                    ],
                )


class DynamoUsageTotals:
    """Daily totals read back: every shard of the customer queried and summed."""

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date
    ) -> dict[tuple[date, str], tuple[Decimal, int]]:
        """(local day, metric) -> (sum of values, number of events), for days in [first_day, last_day]."""

        def shard(n: int) -> list[UsageLedgerModel]:
            return list(
                UsageLedgerModel.query(
                    totals_key(tenant_id, customer_id, n),
                    UsageLedgerModel.sk.between(first_day.isoformat(), last_day.isoformat() + "~"),
                    consistent_read=True,
                )
            )

        # The first shard alone, so PynamoDB's client exists before threads share it (botocore builds
        # clients unsafely across threads, then uses one safely); the other seven at once, not in turn.
        items = shard(0)
        for found in _shard_readers().map(shard, range(1, TOTAL_SHARDS)):
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


def load_history(tenant_id: str, timezone: str, events: Sequence[dict[str, Any]]) -> None:
    """Bulk-load one customer's past usage (the demo, tests, benchmarks, a migration): each event's raw
    item, its duplicate marker and its share of the daily totals, written with BatchWriteItem.

    The totals are computed here and written whole, not added to: load a customer's days before any
    ingestion for them, and once. `timezone` is the customer's: it decides each event's local day, as
    ingestion's does. Values follow ingestion's rule of at most six decimals.
    """
    now = datetime.now(UTC)
    totals: dict[tuple[str, str, str], tuple[int, int]] = {}
    tz = ZoneInfo(timezone)
    with UsageModel.batch_write() as raw_batch, UsageLedgerModel.batch_write() as ledger_batch:
        for i, doc in enumerate(events):
            event = parse_usage_event(doc, f"events[{i}]")
            if bad_value(event.value):  # ingestion's rule: totals are exact integers of millionths
                raise ValueError(f"events[{i}].value: below 10^15 with at most {VALUE_DECIMALS} decimals")
            at = event.timestamp.astimezone(UTC)
            key = raw_event_key(event)
            raw_batch.save(
                UsageModel(
                    customer_key(tenant_id, event.customer_id),
                    key,
                    event=doc,
                    expires_at=max(at, now) + USAGE_TTL,
                )
            )
            ledger_batch.save(
                UsageLedgerModel(
                    marker_key(tenant_id, event.id),
                    "-",
                    customer_id=event.customer_id,
                    event_key=key,
                    expires_at=now + USAGE_TTL,
                )
            )
            total = (
                totals_key(tenant_id, event.customer_id, shard_of(event.id)),
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
        items = list(
            UsageModel.query(
                customer_key(tenant_id, customer_id),
                UsageModel.event_key.between(lo, hi),
                limit=limit + 1,
                consistent_read=True,
            )
        )
        page = [(item.event_key, dict(item.event)) for item in items[:limit] if item.event_key < hi]
        more = len(items) > limit and items[limit].event_key < hi
        return page, page[-1][0] if more and page else None
