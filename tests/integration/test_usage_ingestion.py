"""Usage ingestion on the local stack: `POST /v1/usage` through the local HTTP API, and its use case
from several threads (as several Lambda instances would call it) for the exactly-once properties."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.adapters.dynamo.models import ApiKeyModel
from billing.adapters.dynamo.stores import DynamoUsageStore
from billing.adapters.dynamo.usage import DynamoUsageTotals
from billing.cli import main as billing_cli
from billing.services.ingest_usage import hash_api_key
from infra import demo_data
from infra.local_run import run_billing

pytestmark = pytest.mark.integration

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = datetime.now(STOCKHOLM).date()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)
NEXT_MONTH = (THIS_MONTH + timedelta(days=32)).replace(day=1)


def _create_key(tenant_id: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(["apikey", "create", "--tenant", tenant_id, "--label", "test"]) == 0
    return out.getvalue().strip()


def _tenant(tenant_id: str, customers: int = 3, schedule_from: date = NEXT_MONTH) -> str:
    """The demo merchant's plans and customers (without their demo usage), whose next invoice is due
    on `schedule_from`; returns a usage key for it."""
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory, DynamoTenantDirectory
    from billing.wiring.core import bind_tables

    bind_tables()
    DynamoTenantDirectory.put(
        tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, demo_data.PAGE_SETTINGS
    )
    for c in demo_data.customers(customers, history_start=LAST_MONTH, tenant_id=tenant_id):
        DynamoCustomerDirectory.put(tenant_id, c.profile, c.subscription, c.email, schedule_from)
    return _create_key(tenant_id)


def _post(url: str, key: str | None, body: Any, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url + "/v1/usage", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _event(
    event_id: str, customer: str = "c00001", *, when: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    at = when or datetime.now(UTC) - timedelta(minutes=5)
    return {
        "id": event_id,
        "customer_id": customer,
        "metric": "sms",
        "timestamp": at.isoformat(),
        "value": 1,
    } | extra


def _stored_ids(tenant_id: str, customer: str, start: datetime, end: datetime) -> list[str]:
    return [e.id for e in DynamoUsageStore().events(tenant_id, customer, start, end)]


def _month_window(day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, datetime.min.time(), STOCKHOLM), datetime.combine(
        nxt, datetime.min.time(), STOCKHOLM
    )


def test_a_key_is_stored_only_as_its_hash_and_names_its_tenant(local_env, tenant_id):
    # Given a tenant, When an operator creates a usage key
    key = _tenant(tenant_id)
    # Then the key is long and random, and the table holds its SHA-256, never the key
    assert key.startswith("bk_") and len(key) >= 40
    item = ApiKeyModel.get(hash_api_key(key))
    assert item.tenant_id == tenant_id
    assert key not in json.dumps(item.serialize())
    # And the key writes usage for that tenant
    status, body = _post(local_env.server.url, key, {"events": [_event("e-1")]})
    assert status == 200 and body["accepted"] == 1


def test_a_key_for_an_unknown_tenant_is_refused(local_env, tenant_id):
    # Given no such tenant, When an operator asks for a key, Then it fails with the field named
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert billing_cli(["apikey", "create", "--tenant", tenant_id]) == 2
    assert "tenant_id" in err.getvalue()


def test_requests_without_a_valid_key_are_refused_and_write_nothing(local_env, tenant_id):
    # Given a tenant with a key
    key = _tenant(tenant_id)
    start, end = _month_window(TODAY)
    # When events arrive with no key, a wrong key or another scheme
    for given in (None, key + "x", "bk_" + "A" * 43):
        status, body = _post(local_env.server.url, given, {"events": [_event("e-unauth")]})
        # Then 401, and nothing is stored
        assert status == 401 and body["error"] == "unauthorized"
    request = urllib.request.Request(
        local_env.server.url + "/v1/usage",
        data=json.dumps({"events": [_event("e-unauth")]}).encode(),
        headers={"authorization": f"Basic {key}"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert _stored_ids(tenant_id, "c00001", start, end) == []


def test_a_key_of_one_tenant_never_writes_for_another(local_env, tenant_id):
    # Given two tenants whose customers have the same ids, each with its own key
    other = tenant_id + "-b"
    key_a = _tenant(tenant_id)
    _tenant(other)
    start, end = _month_window(TODAY)
    # When tenant A's key names tenant B in the body
    status, body = _post(local_env.server.url, key_a, {"tenant_id": other, "events": [_event("x-1")]})
    # Then it is forbidden
    assert status == 403 and body["error"] == "forbidden"
    # And when A's key sends an event for customer c00001, it lands with A's c00001 only
    status, body = _post(local_env.server.url, key_a, {"events": [_event("x-2"), _event("x-3", "c99999")]})
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected"]
    assert body["results"][1]["reason"] == "unknown_customer"
    assert _stored_ids(tenant_id, "c00001", start, end) == ["x-2"]
    assert _stored_ids(other, "c00001", start, end) == []
    assert not DynamoUsageTotals().has_marker(other, "x-2")


def test_every_event_gets_its_own_result_and_good_ones_are_kept(local_env, tenant_id):
    # Given a tenant with a key
    key = _tenant(tenant_id)
    now = datetime.now(UTC)
    events = [
        _event("ok-1"),
        _event("bad-ts", timestamp="yesterday"),
        _event("bad-field", colour="red"),
        _event("future", when=now + timedelta(hours=2)),
        _event("too-precise", value="0.1234567"),
        _event("who", "c99999"),
        _event("ok-2", value="2.5", properties={"country": "NO"}),
        _event("ok-1"),  # the same id twice in one request
        {"customer_id": "c00001", "metric": "sms", "timestamp": now.isoformat()},
        "not an object",
    ]
    # When they arrive in one batch
    status, body = _post(local_env.server.url, key, {"events": events})
    # Then each has its result, with the reason and the field at fault
    assert status == 200
    got = [(r["index"], r["status"], r.get("reason"), r.get("field")) for r in body["results"]]
    assert got == [
        (0, "accepted", None, None),
        (1, "rejected", "invalid", "timestamp"),
        (2, "rejected", "invalid", "colour"),
        (3, "rejected", "in_future", "timestamp"),
        (4, "rejected", "invalid", "value"),
        (5, "rejected", "unknown_customer", "customer_id"),
        (6, "accepted", None, None),
        (7, "duplicate", "duplicate_in_request", None),
        (8, "rejected", "invalid", "id"),
        (9, "rejected", "invalid", "event"),
    ]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 7)
    # And the good ones are stored, with exact values in the daily total
    start, end = _month_window(TODAY)
    assert sorted(_stored_ids(tenant_id, "c00001", start, end)) == ["ok-1", "ok-2"]
    totals = DynamoUsageTotals().daily(tenant_id, "c00001", TODAY - timedelta(days=1), TODAY)
    assert sum((t for t, _ in totals.values()), Decimal(0)) == Decimal("3.5")
    assert sum(c for _, c in totals.values()) == 2


def test_limits_answer_413_and_400_clearly(local_env, tenant_id):
    # Given a tenant with a key
    key = _tenant(tenant_id)
    url = local_env.server.url
    # When a batch has 101 events, Then 413 naming the field
    status, body = _post(url, key, {"events": [_event(f"l-{i}") for i in range(101)]})
    assert (status, body["error"], body["field"]) == (413, "batch_too_large", "events")
    # When the body is over 256 KiB, Then 413
    big = _event("big", properties={"note": "x" * (300 * 1024)})
    status, body = _post(url, key, {"events": [big]})
    assert (status, body["error"]) == (413, "payload_too_large")
    # When the body is not JSON, has no event list, an empty one, or unknown fields, Then 400
    assert _post(url, key, None, raw=b"{not json")[0] == 400
    assert _post(url, key, {"events": "e-1"}) == (
        400,
        {"error": "bad_request", "field": "events", "message": "must be a list of events"},
    )
    assert _post(url, key, {"events": []})[0] == 400
    assert _post(url, key, {"events": [_event("u")], "extra": 1})[1]["field"] == "extra"
    # And nothing of those was stored
    start, end = _month_window(TODAY)
    assert _stored_ids(tenant_id, "c00001", start, end) == []


def test_a_resent_batch_is_reported_as_duplicates_and_counted_once(local_env, tenant_id):
    # Given a batch that was accepted
    key = _tenant(tenant_id)
    batch = {"events": [_event(f"r-{i}", value="0.1") for i in range(40)]}
    assert _post(local_env.server.url, key, batch)[1]["accepted"] == 40
    # When the same batch is sent again (a client retry after a timeout)
    status, body = _post(local_env.server.url, key, batch)
    # Then every event is a duplicate, and the totals count each once, exactly
    assert status == 200 and (body["accepted"], body["duplicates"]) == (0, 40)
    assert {r["reason"] for r in body["results"]} == {"seen_before"}
    totals = DynamoUsageTotals().daily(tenant_id, "c00001", TODAY - timedelta(days=1), TODAY)
    assert sum((t for t, _ in totals.values()), Decimal(0)) == Decimal("4.0")
    assert sum(c for _, c in totals.values()) == 40


def test_an_id_resent_with_another_instant_is_a_duplicate_and_the_first_is_kept(local_env, tenant_id):
    from billing.adapters.dynamo.stores import DynamoUsageStore

    # Given an event that was accepted
    key = _tenant(tenant_id)
    first = _event("late-1", when=datetime.now(UTC) - timedelta(minutes=30), value="2")
    assert _post(local_env.server.url, key, {"events": [first]})[1]["accepted"] == 1
    # When the client sends the same id again with a corrected instant and value
    resent = _event("late-1", when=datetime.now(UTC) - timedelta(minutes=10), value="5")
    status, body = _post(local_env.server.url, key, {"events": [resent]})
    # Then it is a duplicate (the id is the idempotency key, whatever the instant): counted once
    assert status == 200 and (body["accepted"], body["duplicates"]) == (0, 1)
    totals = DynamoUsageTotals().daily(tenant_id, "c00001", TODAY - timedelta(days=1), TODAY)
    assert [(t, c) for t, c in totals.values()] == [(Decimal("2"), 1)]
    # And the raw event read back is the first one sent
    events = DynamoUsageStore().events(
        tenant_id, "c00001", datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC)
    )
    assert [(e.id, e.value) for e in events] == [("late-1", Decimal("2"))]


def test_raw_events_recorded_before_the_ledger_held_them_are_still_read(local_env, tenant_id):
    from billing.adapters.dynamo.models import UsageModel
    from billing.adapters.dynamo.stores import DynamoUsageStore
    from billing.adapters.dynamo.usage import DynamoUsageExport

    # Given one event in UsageTable, where ingestion kept raw events before, and two sent now, one
    # of them before it and one after it in time
    key = _tenant(tenant_id)
    now = datetime.now(UTC)
    old = _event("old-1", when=now - timedelta(minutes=20))
    UsageModel(f"{tenant_id}#c00001", f"{old['timestamp']}#old-1", event=old).save()
    new = [
        _event("new-1", when=now - timedelta(minutes=30)),
        _event("new-2", when=now - timedelta(minutes=5)),
    ]
    assert _post(local_env.server.url, key, {"events": new})[1]["accepted"] == 2
    # When the worker's reader and the usage download read the last hour
    start = now - timedelta(hours=1)
    events = DynamoUsageStore().events(tenant_id, "c00001", start, now)
    # Then all three come back once each, in time order, from both places
    assert [e.id for e in events] == ["new-1", "old-1", "new-2"]
    pages, after = [], None
    while True:  # pages of two: the merge of the two places keeps the order across pages
        page, after = DynamoUsageExport().event_page(tenant_id, "c00001", start, now, after, 2)
        pages.append([event["id"] for _key, event in page])
        if after is None:
            break
    assert pages == [["new-1", "old-1"], ["new-2"]]


def _ingest() -> Any:
    from billing.handlers.ingest_usage import ingest

    return ingest()


def test_the_same_batch_sent_twice_at_once_is_counted_once(local_env, tenant_id):
    # Given a tenant and one batch of 60 events for three customers
    _tenant(tenant_id)
    events = [_event(f"s-{i}", f"c0000{1 + i % 3}", value="1.5") for i in range(60)]
    use_case = _ingest()
    barrier = threading.Barrier(2)

    def send() -> Any:
        barrier.wait()
        return use_case(tenant_id, events)

    # When two instances receive it at the same moment
    with ThreadPoolExecutor(2) as pool:
        first, second = [f.result() for f in [pool.submit(send), pool.submit(send)]]
    # Then each event is accepted by exactly one of them and a duplicate for the other
    for a, b in zip(first.results, second.results, strict=True):
        assert {a.status, b.status} == {"accepted", "duplicate"}
    # And every customer's total is counted once
    for c in ("c00001", "c00002", "c00003"):
        totals = DynamoUsageTotals().daily(tenant_id, c, TODAY - timedelta(days=1), TODAY)
        assert sum(n for _, n in totals.values()) == 20
        assert sum((t for t, _ in totals.values()), Decimal(0)) == Decimal("30.0")


def test_usage_for_an_invoiced_period_goes_on_the_next_invoice_as_an_adjustment(local_env, tenant_id):
    # Given customers invoiced this month (the invoice billed last month's usage)
    key = _tenant(tenant_id, customers=2, schedule_from=THIS_MONTH)
    run_billing(tenant_id, THIS_MONTH)
    # When an event from last month arrives late
    late_at = datetime.combine(LAST_MONTH + timedelta(days=3), datetime.min.time(), STOCKHOLM)
    status, body = _post(local_env.server.url, key, {"events": [_event("late-1", when=late_at)]})
    # Then it is accepted as an adjustment, and the answer says when it is billed
    assert status == 200
    result = body["results"][0]
    assert (result["status"], result["reason"], result["field"]) == (
        "accepted",
        "period_invoiced",
        "timestamp",
    )
    billed_at = datetime.fromisoformat(result["billed_at"])
    assert billed_at == datetime.combine(THIS_MONTH, datetime.min.time(), STOCKHOLM)
    # And it is stored in this month's usage (which the next invoice bills), not in last month's
    start, end = _month_window(THIS_MONTH)
    assert "late-1" in _stored_ids(tenant_id, "c00001", start, end)
    last_start, last_end = _month_window(LAST_MONTH)
    assert "late-1" not in _stored_ids(tenant_id, "c00001", last_start, last_end)
    # And an event of this month is accepted as it is
    status, body = _post(local_env.server.url, key, {"events": [_event("now-1")]})
    assert body["results"][0] == {"index": 0, "id": "now-1", "status": "accepted"}


def test_events_with_10_percent_duplicates_from_eight_threads_give_exact_totals(local_env, tenant_id):
    # INGESTION_EVENTS events in all: 20,000 by default (`make fuzz`), fewer in `make test`.
    sent = int(os.environ.get("INGESTION_EVENTS", "20000"))
    distinct, resends = sent * 9 // 10, sent - sent * 9 // 10
    # Given a tenant with 20 customers and 90 % of the events distinct, with values of one decimal
    _tenant(tenant_id, customers=20)
    rng = random.Random(4)
    base = datetime.now(UTC) - timedelta(hours=1)
    unique = [
        {
            "id": f"ev-{i:05d}",
            "customer_id": f"c{1 + rng.randrange(20):05d}",
            "metric": rng.choice(["sms", "data_gb", "intl_minutes"]),
            "timestamp": (base + timedelta(seconds=rng.randrange(3000))).isoformat(),
            "value": f"{rng.randrange(1, 100)}.{rng.randrange(10)}",
        }
        for i in range(distinct)
    ]
    # And resends of some of them (10 % of those sent), shuffled in among the rest
    resent = rng.sample(unique, resends)
    stream = unique + [dict(e) for e in resent]
    rng.shuffle(stream)
    batches = [stream[i : i + 100] for i in range(0, len(stream), 100)]
    use_case = _ingest()
    # When eight threads send the batches of 100 at once
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda b: use_case(tenant_id, b), batches))
    elapsed = time.monotonic() - started
    # Then the distinct ones were accepted and the resends reported as duplicates, none rejected
    statuses = Counter(r.status for batch in results for r in batch.results)
    assert statuses == Counter({"accepted": distinct, "duplicate": resends}), statuses
    # And each event id was accepted exactly once
    accepted_ids = Counter(r.id for batch in results for r in batch.results if r.status == "accepted")
    assert len(accepted_ids) == distinct and set(accepted_ids.values()) == {1}
    # And the daily totals per customer and metric are exact (sum and count)
    expected: dict[tuple[str, str], tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
    for e in unique:
        total, count = expected[(e["customer_id"], e["metric"])]
        expected[(e["customer_id"], e["metric"])] = (total + Decimal(e["value"]), count + 1)
    got: dict[tuple[str, str], tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
    for c in {e["customer_id"] for e in unique}:
        for (_day, metric), (total, count) in (
            DynamoUsageTotals()
            .daily(tenant_id, c, TODAY - timedelta(days=1), TODAY + timedelta(days=1))
            .items()
        ):
            t, n = got[(c, metric)]
            got[(c, metric)] = (t + total, n + count)
    assert dict(got) == dict(expected)
    print(f"\n{sent:,} events from 8 threads in {elapsed:.1f} s ({sent / elapsed:.0f} events/s)")


def test_billing_reads_the_daily_totals_ingestion_keeps_not_the_raw_events(local_env, tenant_id):
    from billing.adapters.dynamo.models import UsageLedgerModel
    from billing.adapters.dynamo.stores import customer_key
    from tests.integration.helpers import invoices_of

    # Given customers due next month, and this month's usage so far sent through the API: 350 SMS and
    # 4 sessions of data for c00001, spread from the month's first instant to a minute ago
    key = _tenant(tenant_id, customers=2, schedule_from=NEXT_MONTH)
    opened = datetime.combine(THIS_MONTH, datetime.min.time(), STOCKHOLM)
    elapsed = datetime.now(UTC) - timedelta(minutes=1) - opened
    sms = [_event(f"sms-{i}", when=opened + elapsed * i / 349) for i in range(350)]
    data = [
        _event(f"gb-{i}", metric="data_gb", value=gb, when=opened + elapsed * share)
        for i, (share, gb) in enumerate([(0, "1.25"), (0.3, "2.5"), (0.6, "0.75"), (1, "3")])
    ]
    for first in range(0, len(sms + data), 100):
        status, body = _post(local_env.server.url, key, {"events": (sms + data)[first : first + 100]})
        assert status == 200
        assert [
            r for r in body["results"] if r != {"index": r["index"], "id": r["id"], "status": "accepted"}
        ] == []
    # When the raw events are gone (only the daily totals remain) and the run bills
    with UsageLedgerModel.batch_write() as batch:
        for item in UsageLedgerModel.events_by_customer.query(customer_key(tenant_id, "c00001")):
            batch.delete(UsageLedgerModel(item.pk, item.sk))
    run_billing(tenant_id, NEXT_MONTH)
    # Then the invoice bills every event, from the totals: 350 SMS are one package of 100 after 300
    # free (a count of stored items, 1 to 4 days, would be none), and 7.5 GB
    (invoice,) = [i for i in invoices_of(tenant_id) if i.customer_id == "c00001"]
    usage = [x for x in invoice.document["lines"] if x["kind"] == "usage"]
    assert [(x["quantity"], x["amount"]) for x in usage if x["charge_code"] == "sms"] == [("1", 1592)]
    # (the data charge is graduated: a line per tier the usage reaches)
    assert sum(Decimal(x["quantity"]) for x in usage if x["charge_code"] == "data") == Decimal("7.5")


def _daily_sum(tenant_id: str, customer: str, shards: int) -> tuple[Decimal, int]:
    totals = DynamoUsageTotals().daily(tenant_id, customer, TODAY - timedelta(days=1), TODAY, shards)
    return sum((t for t, _ in totals.values()), Decimal(0)), sum(n for _, n in totals.values())


def test_an_ordinary_customer_has_one_totals_key_and_a_hot_one_is_raised_without_losing_totals(
    local_env, tenant_id
):
    from billing.adapters.dynamo.models import CustomerModel
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory
    from billing.adapters.dynamo.usage_keys import HOT_SHARDS, HotCustomers

    # Given a tenant whose ingestion measures a customer's day every 30 events, hot from 50 a day
    _tenant(tenant_id)
    use_case = _ingest()
    ledger = use_case.ledger
    ledger.hot = HotCustomers(threshold=50, every=30)
    try:
        # When 40 events arrive for one customer (in transactions side by side)
        first = use_case(tenant_id, [_event(f"h-{i}", value="0.5") for i in range(40)])
        # Then they are all on its one unsharded key, read with one query, and it is not hot yet
        assert first.count("accepted") == 40
        assert _daily_sum(tenant_id, "c00001", 1) == (Decimal("20.0"), 40)
        assert DynamoCustomerDirectory().get(tenant_id, "c00001").usage_shards == 1  # type: ignore[union-attr]
        # When 40 more arrive: the measured day (80) passes the threshold and the count is raised
        use_case(tenant_id, [_event(f"h-{i}", value="0.5") for i in range(40, 80)])
        account = DynamoCustomerDirectory().get(tenant_id, "c00001")
        assert account is not None and account.usage_shards == HOT_SHARDS
        # And the events after it spread over the shards, while the totals written before stay read
        use_case(tenant_id, [_event(f"h-{i}", value="0.5") for i in range(80, 200)])
        assert _daily_sum(tenant_id, "c00001", HOT_SHARDS) == (Decimal("100.0"), 200)
        assert _daily_sum(tenant_id, "c00001", 1)[1] < 200  # shard 0 alone no longer holds them all
        # And a count never goes down
        from billing.adapters.dynamo.usage_keys import raise_usage_shards

        assert not raise_usage_shards(tenant_id, "c00001", 2)
        assert int(CustomerModel.get(tenant_id, "c00001").usage_shards) == HOT_SHARDS
    finally:
        ledger.hot = HotCustomers()


def test_totals_written_over_eight_keys_before_shard_counts_were_kept_are_read_whole(local_env, tenant_id):
    from billing.adapters.dynamo.models import CustomerModel, UsageLedgerModel
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory
    from billing.adapters.dynamo.usage_keys import HOT_SHARDS, totals_key

    # Given a customer item from before shard counts were kept (no usage_shards), whose totals the
    # previous code spread over 8 keys by a hash of the event id
    _tenant(tenant_id)
    CustomerModel(tenant_id, "c00002").update(actions=[CustomerModel.usage_shards.remove()])
    day = f"{TODAY.isoformat()}#sms"
    for shard in range(HOT_SHARDS):
        UsageLedgerModel(
            totals_key(tenant_id, "c00002", shard),
            day,
            total_micros=1_000_000,
            event_count=1,
            customer_id="c00002",
        ).save()
    # When the directory reads it and a customer created now
    directory = DynamoCustomerDirectory()
    old, new = directory.get(tenant_id, "c00002"), directory.get(tenant_id, "c00001")
    assert old is not None and new is not None
    # Then the old one reads all 8 keys without any migration, and the new one keeps one
    assert (old.usage_shards, new.usage_shards) == (HOT_SHARDS, 1)
    assert _daily_sum(tenant_id, "c00002", old.usage_shards) == (Decimal("8"), 8)


def test_a_batch_over_several_transactions_with_some_duplicates_writes_the_others_once(local_env, tenant_id):
    # Given 30 events already recorded, interleaved with 70 new ones for three customers
    _tenant(tenant_id)
    use_case = _ingest()
    events = [_event(f"m-{i}", f"c0000{1 + i % 3}", value="1") for i in range(100)]
    assert use_case(tenant_id, events[::10] + events[1::10] + events[2::10]).count("accepted") == 30
    # When the whole batch arrives (many transactions, in parallel, some cancelled by a duplicate)
    result = use_case(tenant_id, events)
    # Then the 30 are duplicates, the 70 others accepted, and each customer's totals count 100 in all
    assert (result.count("accepted"), result.count("duplicate")) == (70, 30)
    counts = [_daily_sum(tenant_id, f"c0000{c}", 1)[1] for c in (1, 2, 3)]
    assert sum(counts) == 100
