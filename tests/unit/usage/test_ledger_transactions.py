"""How the usage ledger cuts a batch into transactions and serialises them (no network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.adapters.dynamo.usage_keys import HOT_SHARDS, shard_of, totals_key
from billing.adapters.dynamo.usage_ledger import plan_chunks, total_of, transact_items
from billing.domain.usage import UsageEvent, UsageRecord
from billing.settings import ConfigError, usage_transaction_items

AT = datetime(2026, 11, 3, 12, tzinfo=UTC)


def _record(i: int, customer: str = "c1", metric: str = "sms", shards: int = 1) -> UsageRecord:
    event = UsageEvent(f"e-{i}", customer, metric, AT, Decimal("1.5"), {})
    return UsageRecord(i, event, date(2026, 11, 3), shards=shards)


def _items(chunk: list[UsageRecord]) -> int:
    return len(chunk) + len({total_of("t", r) for r in chunk})


@pytest.mark.parametrize("limit", [2, 3, 10, 25, 100])
def test_every_transaction_fits_the_limit_and_every_record_is_in_exactly_one(limit: int) -> None:
    # Given 100 events over 7 customers and 3 metrics
    records = [_record(i, f"c{i % 7}", ("sms", "gb", "min")[i % 3]) for i in range(100)]
    # When they are planned into transactions of at most `limit` items
    chunks = plan_chunks("t", records, limit)
    # Then none is over the limit, and together they hold each record once
    assert all(_items(c) <= limit for c in chunks)
    assert sorted(r.index for c in chunks for r in c) == list(range(100))


def test_one_customer_and_metric_fills_aws_transactions_with_one_item_an_event() -> None:
    # Given 100 events adding to one daily total, and AWS's limit of 100 items
    chunks = plan_chunks("t", [_record(i) for i in range(100)], 100)
    # Then 99 events and their total fill the first transaction: 2 requests, not 50 of 1 event
    assert [len(c) for c in chunks] == [99, 1]


def test_a_total_is_kept_in_one_transaction_when_it_fits() -> None:
    # Given 20 events on each of two totals and room for 45 items
    records = [_record(i, f"c{i % 2}") for i in range(40)]
    chunks = plan_chunks("t", records, 45)
    # Then each total is written by one transaction only (no two in parallel on one item)
    owners: dict[tuple[str, str], set[int]] = {}
    for n, chunk in enumerate(chunks):
        for record in chunk:
            owners.setdefault(total_of("t", record), set()).add(n)
    assert all(len(o) == 1 for o in owners.values())


def test_a_limit_below_one_event_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        plan_chunks("t", [_record(0)], 1)


def test_the_transaction_puts_event_items_first_then_one_add_per_total() -> None:
    # Given three events, two of them on the same total
    chunk = [_record(0), _record(1), _record(2, metric="gb")]
    # When serialised
    items = transact_items("t", chunk, AT)
    # Then the events' items come first in chunk order (cancellation reason i is event i), each keyed
    # by its id alone and conditional on absence: the same id is refused whatever its timestamp
    events = [item["Put"] for item in items[:3]]
    assert [e["Item"]["pk"]["S"] for e in events] == ["t#id#e-0", "t#id#e-1", "t#id#e-2"]
    assert {e["Item"]["sk"]["S"] for e in events} == {"-"}
    assert {e["ConditionExpression"] for e in events} == {"attribute_not_exists(pk)"}
    # And each holds the raw event the worker reads back, under the index's keys
    first = events[0]["Item"]
    assert first["event_customer"]["S"] == "t#c1"
    assert first["event_key"]["S"] == "2026-11-03T12:00:00+00:00#e-0"
    assert json.loads(first["event"]["S"])["value"] == "1.5"
    # And the two events on one total add 3.0 (in millionths) and 2 events in one update: 5 items
    updates = [item["Update"] for item in items[3:]]
    assert len(items) == 5 and len(updates) == 2
    values = updates[0]["ExpressionAttributeValues"]
    assert (values[":m"]["N"], values[":c"]["N"]) == ("3000000", "2")
    assert updates[0]["Key"]["pk"]["S"] == totals_key("t", "c1", 0)


def test_an_ordinary_customer_writes_shard_0_and_a_hot_one_spreads_over_its_shards() -> None:
    # Given one customer with one shard and one with HOT_SHARDS
    ordinary = {total_of("t", _record(i, shards=1))[0] for i in range(200)}
    hot = {total_of("t", _record(i, shards=HOT_SHARDS))[0] for i in range(200)}
    # Then the ordinary one has the one unsharded key, and the hot one uses all its keys
    assert ordinary == {"t#c1#t0"}
    assert hot == {f"t#c1#t{s}" for s in range(HOT_SHARDS)}
    assert shard_of("e-1", 1) == 0


def test_the_transaction_size_setting_defaults_to_aws_and_refuses_nonsense() -> None:
    assert usage_transaction_items({}) == 100
    assert usage_transaction_items({"USAGE_TRANSACTION_ITEMS": "10"}) == 10
    assert usage_transaction_items({"USAGE_TRANSACTION_ITEMS": "2"}) == 2
    for bad in ("1", "101", "ten"):
        with pytest.raises(ConfigError, match="USAGE_TRANSACTION_ITEMS"):
            usage_transaction_items({"USAGE_TRANSACTION_ITEMS": bad})
