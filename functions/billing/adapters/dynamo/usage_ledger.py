"""Usage ingestion's writes: each event's item and its daily total, exactly once.

`DynamoUsageLedger.record` splits a batch into transactions of at most `items_per_transaction` items
(100 on AWS; the local stack lowers it to what DynamoDB Local takes, USAGE_TRANSACTION_ITEMS), and
writes them side by side from a small thread pool, on the botocore client with attribute values
serialised here (no PynamoDB models on this path: building and serialising models cost more CPU than
the request). Per event: one item keyed by its id (condition: it does not exist) that is both the
duplicate marker and the raw event (the ledger's `event_index` orders a customer's events by time for
their readers), and an ADD to its daily total; events of a chunk adding to the same total share one
update. Records are grouped by total before chunking, so a total is in one chunk wherever it fits
(transactions in parallel on one item would conflict).

The item's key is the event id alone, so the same id sent again is refused whatever its timestamp:
a resend with a corrected instant cannot count twice. An item that exists cancels the transaction;
its cancellation reason names the item, so that event is reported as a duplicate and the chunk is
written again without it. A TransactionConflict (the same events sent twice at once, or two chunks
sharing a total) or a throttle is retried with jittered back-off. Either way each event is written,
and added to its total, by exactly one transaction. Keys and shard counts:
billing.adapters.dynamo.usage_keys, docs/usage.md.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection import Connection

from billing.adapters.dynamo.models import UsageLedgerModel
from billing.adapters.dynamo.stores import customer_key
from billing.adapters.dynamo.usage_keys import (
    HotCustomers,
    marker_key,
    raw_event_key,
    shard_of,
    to_micros,
    totals_key,
)
from billing.adapters.thread_context import map_in_context
from billing.domain.usage import UsageRecord
from billing.services.errors import RetryableError
from billing.settings import usage_transaction_items

USAGE_TTL = timedelta(days=800)  # event items: the invoice's usage explanation and dedupe
CONFLICT_ATTEMPTS = 30
# Transactions of one batch in flight at once: a batch of 100 is two to four of them on AWS.
TRANSACTION_WORKERS = 4
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
_RETRYABLE_ERRORS = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "TransactionInProgressException",
    "InternalServerError",
}
_TOTAL_UPDATE = "ADD total_micros :m, event_count :c SET customer_id = :cid"

TotalKey = tuple[str, str]  # (pk, sk) of a daily total


@cache
def _connection() -> Connection:
    # One per process: a new Connection builds a new botocore client, which costs more than the write.
    return Connection()


@cache
def _writers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=TRANSACTION_WORKERS, thread_name_prefix="usage-writes")


def total_of(tenant_id: str, record: UsageRecord) -> TotalKey:
    event = record.event
    return (
        totals_key(tenant_id, event.customer_id, shard_of(event.id, record.shards)),
        f"{record.day.isoformat()}#{event.metric}",
    )


def plan_chunks(tenant_id: str, records: Sequence[UsageRecord], max_items: int) -> list[list[UsageRecord]]:
    """Records in transactions of at most `max_items` items (one per event, one per distinct total),
    each total's events together so a total is split over two chunks only when it does not fit one."""
    if max_items < 2:
        raise ValueError(f"a usage transaction needs at least 2 items (an event's); got {max_items}")
    by_total: dict[TotalKey, list[UsageRecord]] = {}
    for record in records:
        by_total.setdefault(total_of(tenant_id, record), []).append(record)
    chunks: list[list[UsageRecord]] = []
    current: list[UsageRecord] = []
    totals = 0
    for group in by_total.values():
        whole = len(group) + 1
        if current and whole <= max_items < len(current) + totals + whole:
            chunks.append(current)  # it fits a transaction of its own, not what is left of this one
            current, totals = [], 0
        in_current = False
        for record in group:
            items = len(current) + totals + 1 + (0 if in_current else 1)
            if current and items > max_items:
                chunks.append(current)
                current, totals, in_current = [], 0, False
            if not in_current:
                totals += 1
                in_current = True
            current.append(record)
    if current:
        chunks.append(current)
    return chunks


def event_item(tenant_id: str, record: UsageRecord, now: datetime) -> dict[str, Any]:
    """The event's ledger item, serialised: its duplicate marker and raw event in one."""
    event = record.event
    # Kept as long as the invoice may explain it, counted from its instant or from now if later.
    expires = max(event.timestamp.astimezone(UTC), now) + USAGE_TTL
    return {
        "pk": {"S": marker_key(tenant_id, event.id)},
        "sk": {"S": "-"},
        "customer_id": {"S": event.customer_id},
        "event_customer": {"S": customer_key(tenant_id, event.customer_id)},
        "event_key": {"S": raw_event_key(event)},
        "event": {"S": json.dumps(record.document())},
        "expires_at": {"N": str(int(expires.timestamp()))},
    }


def transact_items(tenant_id: str, chunk: Sequence[UsageRecord], now: datetime) -> list[dict[str, Any]]:
    """The chunk's TransactItems, attribute values serialised by hand. Event items first, in chunk
    order, so cancellation reason i is event i's."""
    ledger = UsageLedgerModel.Meta.table_name
    events: list[dict[str, Any]] = []
    totals: dict[TotalKey, list[Any]] = {}
    for record in chunk:
        events.append(
            {
                "Put": {
                    "TableName": ledger,
                    "Item": event_item(tenant_id, record, now),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        total = totals.setdefault(total_of(tenant_id, record), [0, 0, record.event.customer_id])
        total[0] += to_micros(record.event.value)
        total[1] += 1
    updates = [
        {
            "Update": {
                "TableName": ledger,
                "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                "UpdateExpression": _TOTAL_UPDATE,
                "ExpressionAttributeValues": {
                    ":m": {"N": str(micros)},
                    ":c": {"N": str(count)},
                    ":cid": {"S": customer_id},
                },
            }
        }
        for (pk, sk), (micros, count, customer_id) in totals.items()
    ]
    return events + updates


class DynamoUsageLedger:
    def __init__(self, items_per_transaction: int | None = None, hot: HotCustomers | None = None) -> None:
        self.items_per_transaction = items_per_transaction or usage_transaction_items()
        # Per instance, like the ledger: customers whose measured volume needs more shards.
        self.hot = hot if hot is not None else HotCustomers()

    def record(self, tenant_id: str, records: Sequence[UsageRecord]) -> set[int]:
        chunks = plan_chunks(tenant_id, records, self.items_per_transaction)
        client = _connection().client  # built here, once: botocore builds clients unsafely across threads
        if len(chunks) == 1:
            duplicates = self._write(client, tenant_id, chunks[0])
        else:
            duplicates = set()
            for found in map_in_context(_writers(), lambda c: self._write(client, tenant_id, c), chunks):
                duplicates |= found
        self._measure(tenant_id, [r for r in records if r.index not in duplicates])
        return duplicates

    def _measure(self, tenant_id: str, written: Sequence[UsageRecord]) -> None:
        counts: dict[tuple[str, date], list[int]] = {}
        for record in written:
            entry = counts.setdefault((record.event.customer_id, record.day), [0, record.shards])
            entry[0] += 1
        for (customer_id, day), (events, shards) in counts.items():
            self.hot.wrote(tenant_id, customer_id, day, events, shards)

    @staticmethod
    def _write(client: Any, tenant_id: str, chunk: list[UsageRecord]) -> set[int]:
        duplicates: set[int] = set()
        attempt = 0
        while chunk:
            try:
                client.transact_write_items(TransactItems=transact_items(tenant_id, chunk, datetime.now(UTC)))
                return duplicates
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code = error.get("Code", "")
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if code == "TransactionCanceledException":
                    seen = {
                        chunk[i].index
                        for i, r in enumerate(reasons[: len(chunk)])
                        if r == "ConditionalCheckFailed"
                    }
                    if seen:
                        # Those ids were recorded before (by an earlier request, or a concurrent one
                        # that won): drop them and write the others.
                        duplicates |= seen
                        chunk = [r for r in chunk if r.index not in seen]
                        continue
                retryable = code in _RETRYABLE_ERRORS or (
                    code == "TransactionCanceledException" and (set(reasons) & _RETRYABLE or not reasons)
                )
                if retryable and attempt < CONFLICT_ATTEMPTS:
                    # Another request is writing the same markers or totals right now: back off and
                    # look again (its markers then answer "duplicate", its totals are untouched).
                    attempt += 1
                    time.sleep(random.uniform(0.005, 0.02) * min(attempt, 10))
                    continue
                if code == "ValidationException" and "length" in error.get("Message", ""):
                    raise RetryableError(
                        "the database refused the transaction's length: lower USAGE_TRANSACTION_ITEMS"
                    ) from exc
                raise RetryableError(f"recording usage failed: {code}") from exc
        return duplicates
