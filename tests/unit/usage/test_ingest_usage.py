"""The ingestion use case with in-memory ports: per-event results, limits, and the late-usage rule."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.errors import PermanentError
from billing.services.ingest_usage import (
    MAX_EVENTS,
    BatchRefused,
    IngestUsage,
    UsageRecord,
    create_api_key,
    hash_api_key,
    parse_batch,
    tenant_for_key,
)
from billing.services.ports import CustomerAccount, TenantAccount
from infra import demo_data

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _tenant() -> TenantAccount:
    return TenantAccount(
        settings=parse_tenant_settings(demo_data.tenant_settings("t1")),
        catalog=parse_catalog(demo_data.CATALOG),
        page={},
    )


def _account(
    customer_id: str, next_period_start: date, timezone: str = "Europe/Stockholm"
) -> CustomerAccount:
    profile = {
        "id": customer_id,
        "name": "Anna",
        "address": ["Storgatan 1", "111 22 Stockholm"],
        "country": "SE",
        "timezone": timezone,
        "language": "sv",
    }
    subscription = {
        "id": f"sub_{customer_id}",
        "customer_id": customer_id,
        "anchor": "calendar",
        "phases": [{"plan": "bas", "start": "2025-01-01"}],
    }
    return CustomerAccount(
        "t1", parse_customer(profile), parse_subscription(subscription), "a@example.se", next_period_start
    )


class FakeTenants:
    def get(self, tenant_id: str) -> TenantAccount:
        if tenant_id != "t1":
            raise PermanentError(f"unknown tenant {tenant_id!r}", field="tenant_id")
        return _tenant()


@dataclass
class FakeCustomers:
    accounts_by_id: dict[str, CustomerAccount]

    def accounts(self, tenant_id: str, customer_ids: Collection[str]) -> dict[str, CustomerAccount]:
        return {c: a for c, a in self.accounts_by_id.items() if c in customer_ids}


@dataclass
class FakeLedger:
    seen: set[str] = field(default_factory=set)
    stored: list[UsageRecord] = field(default_factory=list)

    def record(self, tenant_id: str, records: Sequence[UsageRecord]) -> set[int]:
        duplicates = set()
        for r in records:
            if r.event.id in self.seen:
                duplicates.add(r.index)
            else:
                self.seen.add(r.event.id)
                self.stored.append(r)
        return duplicates


@dataclass
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


def _use_case(now: datetime, *accounts: CustomerAccount, ledger: FakeLedger | None = None) -> IngestUsage:
    return IngestUsage(
        tenants=FakeTenants(),
        customers=FakeCustomers({a.customer.id: a for a in accounts}),
        ledger=ledger or FakeLedger(),
        clock=FixedClock(now),
    )


def _event(event_id: str, when: datetime, customer: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "customer_id": customer, "metric": "sms", "timestamp": when.isoformat()} | extra


def _local(day: date, hour: int = 0, tz: str = "Europe/Stockholm") -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz))


def test_usage_of_the_window_still_open_is_accepted_as_it_is():
    # Given a customer whose next invoice (December) bills November, on 20 November
    ledger = FakeLedger()
    ingest = _use_case(_local(date(2026, 11, 20), 12), _account("c1", date(2026, 12, 1)), ledger=ledger)
    # When a November event arrives
    result = ingest("t1", [_event("e1", _local(date(2026, 11, 3), 9))])
    # Then it is accepted and stored at its own time, on its local day
    assert result.results[0].to_dict() == {"index": 0, "id": "e1", "status": "accepted"}
    assert ledger.stored[0].event.timestamp == _local(date(2026, 11, 3), 9)
    assert ledger.stored[0].day == date(2026, 11, 3)
    assert ledger.stored[0].document()["timestamp"] == _local(date(2026, 11, 3), 9).isoformat()


def test_usage_of_an_invoiced_window_moves_to_the_open_window_as_an_adjustment():
    # Given the same customer; October's usage was billed by the November invoice
    ledger = FakeLedger()
    ingest = _use_case(_local(date(2026, 11, 20), 12), _account("c1", date(2026, 12, 1)), ledger=ledger)
    # When an October event arrives
    result = ingest("t1", [_event("e1", _local(date(2026, 10, 30), 9))]).results[0]
    # Then it is accepted, said to be billed from the start of November, and stored there
    assert (result.status, result.reason, result.field) == ("accepted", "period_invoiced", "timestamp")
    assert result.billed_at == _local(date(2026, 11, 1))
    assert ledger.stored[0].event.timestamp == _local(date(2026, 11, 1))
    assert ledger.stored[0].original_timestamp == _local(date(2026, 10, 30), 9)
    assert ledger.stored[0].day == date(2026, 11, 1)


def test_once_the_invoice_day_begins_its_window_is_closed():
    # Given a customer due on 1 December (that invoice bills November), just after midnight
    ingest = _use_case(_local(date(2026, 12, 1), 0) + timedelta(minutes=1), _account("c1", date(2026, 12, 1)))
    # When a late November event arrives before the run
    result = ingest("t1", [_event("e1", _local(date(2026, 11, 30), 23))]).results[0]
    # Then it goes on the invoice after (from 1 December), since the run may be reading November now
    assert result.reason == "period_invoiced"
    assert result.billed_at == _local(date(2026, 12, 1))


def test_a_customer_west_of_stockholm_closes_when_the_stockholm_day_begins():
    # Given a customer in New York due 1 December; it is 1 December 00:30 in Stockholm (still
    # 30 November in New York), and a run dated 1 December may already start
    now = _local(date(2026, 12, 1), 0) + timedelta(minutes=30)
    ingest = _use_case(now, _account("c1", date(2026, 12, 1), "America/New_York"))
    # When a New York event of 30 November (18:00 local) arrives
    result = ingest("t1", [_event("e1", _local(date(2026, 11, 30), 18, "America/New_York"))]).results[0]
    # Then it is moved to the next window, which starts at New York's midnight
    assert result.reason == "period_invoiced"
    assert result.billed_at == _local(date(2026, 12, 1), 0, "America/New_York")


def test_a_customer_east_of_stockholm_closes_at_its_own_midnight():
    # Given a customer in Tokyo due 1 December; Tokyo's 1 December began, Stockholm's not yet
    now = _local(date(2026, 12, 1), 1, "Asia/Tokyo")
    ingest = _use_case(now, _account("c1", date(2026, 12, 1), "Asia/Tokyo"))
    # When a November event arrives, Then it goes to the next window
    assert ingest("t1", [_event("e1", _local(date(2026, 11, 30), 23, "Asia/Tokyo"))]).results[0].reason == (
        "period_invoiced"
    )
    # And one minute before Tokyo's midnight it would still have counted for November
    earlier = _use_case(now - timedelta(hours=1, minutes=1), _account("c1", date(2026, 12, 1), "Asia/Tokyo"))
    assert (
        earlier("t1", [_event("e2", _local(date(2026, 11, 30), 23, "Asia/Tokyo"))]).results[0].reason is None
    )


def test_each_event_has_its_own_result_and_the_good_ones_are_recorded():
    # Given a customer and a batch mixing good and bad events
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    ledger = FakeLedger(seen={"old"})
    ingest = _use_case(now, _account("c1", date(2026, 12, 1)), ledger=ledger)
    events = [
        _event("ok", now - timedelta(hours=1), value="0.000001"),
        _event("soon", now + timedelta(minutes=4)),
        _event("future", now + timedelta(minutes=6)),
        _event("fine", now, value="1.1234567"),
        _event("huge", now, value="1e15"),
        _event("nan", now, value="NaN"),
        _event("x" * 129, now),
        _event("who", now, customer="c9"),
        _event("ok", now),
        _event("old", now),
        ["not", "an", "event"],
    ]
    # When it is ingested
    result = ingest("t1", events)
    # Then every event has its status, reason and field, in order
    assert [(r.index, r.status, r.reason, r.field) for r in result.results] == [
        (0, "accepted", None, None),
        (1, "accepted", None, None),
        (2, "rejected", "in_future", "timestamp"),
        (3, "rejected", "invalid", "value"),
        (4, "rejected", "invalid", "value"),
        (5, "rejected", "invalid", "value"),
        (6, "rejected", "invalid", "id"),
        (7, "rejected", "unknown_customer", "customer_id"),
        (8, "duplicate", "duplicate_in_request", None),
        (9, "duplicate", "seen_before", None),
        (10, "rejected", "invalid", "event"),
    ]
    assert [r.event.id for r in ledger.stored] == ["ok", "soon"]
    assert ledger.stored[0].event.value == Decimal("0.000001")
    assert result.to_dict()["accepted"] == 2 and result.to_dict()["rejected"] == 7


def test_an_unknown_tenant_with_no_valid_event_never_reaches_the_stores():
    # Given a batch of only invalid events, When ingested, Then nothing is looked up or written
    ingest = _use_case(datetime(2026, 11, 20, tzinfo=UTC))
    result = ingest("nobody", [{"id": "e"}])
    assert result.results[0].status == "rejected"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"events": [{}] * (MAX_EVENTS + 1)}, 413, "events"),
        ({"events": []}, 400, "events"),
        ({"events": {}}, 400, "events"),
        ({}, 400, "events"),
        ([], 400, None),
        ({"events": [{}], "tenant": "x"}, 400, "tenant"),
    ],
)
def test_batches_that_cannot_be_read_are_refused_with_their_status(body, status, field):
    # When the body is not a readable batch, Then it is refused as a whole with the HTTP status
    with pytest.raises(BatchRefused) as refused:
        parse_batch(body)
    assert (refused.value.status, refused.value.field) == (status, field)


def test_a_batch_of_exactly_one_hundred_events_is_read():
    assert len(parse_batch({"events": [{}] * MAX_EVENTS})) == MAX_EVENTS


@dataclass
class FakeKeys:
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)

    def put(
        self, key_hash: str, tenant_id: str, prefix: str, label: str | None, now: datetime, scope: str
    ) -> None:
        self.rows[key_hash] = (tenant_id, prefix)

    def tenant_for(self, key_hash: str) -> str | None:
        row = self.rows.get(key_hash)
        return row[0] if row else None


def test_a_created_key_is_stored_as_its_hash_and_finds_its_tenant():
    # Given a key created for tenant t1
    keys = FakeKeys()
    key = create_api_key(keys, FakeTenants(), "t1", "pipeline", datetime(2026, 11, 20, tzinfo=UTC))
    # Then only its hash is stored, and it names t1; a changed or missing key names nobody
    assert list(keys.rows) == [hash_api_key(key)] and key not in str(keys.rows)
    assert tenant_for_key(keys, key) == "t1"
    assert tenant_for_key(keys, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert tenant_for_key(keys, None) is None and tenant_for_key(keys, "x" * 500) is None
    # And two keys are never the same
    assert create_api_key(keys, FakeTenants(), "t1", None, datetime(2026, 11, 20, tzinfo=UTC)) != key


def test_no_key_is_created_for_an_unknown_tenant():
    with pytest.raises(PermanentError) as refused:
        create_api_key(FakeKeys(), FakeTenants(), "t2", None, datetime(2026, 11, 20, tzinfo=UTC))
    assert refused.value.field == "tenant_id"


@pytest.mark.parametrize("value", [-1, "-380", "-0.000001"])
def test_a_negative_usage_value_is_rejected_by_name_and_nothing_is_stored(value: Any) -> None:
    # Given an open window
    ledger = FakeLedger()
    ingest = _use_case(_local(date(2026, 11, 20), 12), _account("c1", date(2026, 12, 1)), ledger=ledger)
    # When an event with a negative value arrives next to a good one
    result = ingest(
        "t1",
        [_event("e1", _local(date(2026, 11, 3), 9), value=value), _event("e2", _local(date(2026, 11, 3), 9))],
    )
    # Then it alone is rejected, naming the value and how to correct usage
    bad, good = (r.to_dict() for r in result.results)
    assert bad["status"] == "rejected" and bad["field"] == "value" and "negative" in bad["message"]
    assert good["status"] == "accepted" and [s.event.id for s in ledger.stored] == ["e2"]


def test_each_record_carries_its_customers_recorded_shard_count():
    # Given an ordinary customer and one whose totals are spread over 8 keys, on 20 November
    from dataclasses import replace

    ledger = FakeLedger()
    hot = replace(_account("c2", date(2026, 12, 1)), usage_shards=8)
    ingest = _use_case(_local(date(2026, 11, 20), 12), _account("c1", date(2026, 12, 1)), hot, ledger=ledger)
    # When an event for each arrives, one of them late (an adjustment)
    ingest(
        "t1",
        [
            _event("e1", _local(date(2026, 11, 3), 9)),
            _event("e2", _local(date(2026, 10, 3), 9), customer="c2"),
        ],
    )
    # Then the ledger is told each customer's count, so it writes to keys the readers read
    assert {r.event.customer_id: r.shards for r in ledger.stored} == {"c1": 1, "c2": 8}
