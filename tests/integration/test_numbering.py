"""Gapless invoice numbers under concurrency, against DynamoDB Local.

Four workers issue invoices at once; some attempts die after reading the counter and before their
transaction, and retry; some invoices are issued twice (a redelivered message). Numbers must come out
exactly 1..N: each number used by exactly one invoice, none skipped.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.adapters.dynamo import stores
from billing.adapters.dynamo.stores import DynamoCustomerDirectory, DynamoInvoiceLedger, DynamoRunLedger
from billing.domain.numbering import InvoiceSeries
from billing.domain.pricing import compute_invoice
from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.errors import RetryableError
from billing.services.ports import IssueRequest
from billing.wiring.core import bind_tables
from infra import demo_data
from tests.integration.helpers import counter_value, invoices_of

pytestmark = pytest.mark.integration

INVOICES = 1000
WORKERS = 4
PERIOD = date(2026, 11, 1)


class Crash(Exception):
    """A worker dying between reading the counter and committing."""


def test_concurrent_workers_with_failures_and_retries_issue_numbers_1_to_n(local_env, tenant_id, monkeypatch):
    # Given one customer account per invoice-to-be, and a template invoice from the pricing engine
    bind_tables()
    profile = {"id": "c1", "name": "Kund", "address": ["Gatan 1", "111 11 Stockholm"]}
    subscription = {"id": "s1", "customer_id": "c1", "phases": [{"plan": "bas", "start": "2026-01-01"}]}
    template = compute_invoice(
        tenant=parse_tenant_settings(demo_data.tenant_settings(tenant_id)),
        catalog=parse_catalog(demo_data.CATALOG),
        customer=parse_customer(profile),
        subscription=parse_subscription(subscription),
        events=[],
        period_start=PERIOD,
    )
    for i in range(INVOICES):
        DynamoCustomerDirectory.put(
            tenant_id,
            {**profile, "id": f"c{i}"},
            {**subscription, "customer_id": f"c{i}"},
            "x@example.se",
            PERIOD,
        )
    customers = DynamoCustomerDirectory()
    ledger = DynamoInvoiceLedger()
    run_id = f"{tenant_id}:numbering"
    DynamoRunLedger().start(run_id, tenant_id, PERIOD, datetime.now(UTC))

    # And a commit that fails on about one attempt in ten, as a worker killed mid-flight would
    real_commit = DynamoInvoiceLedger._commit
    rng = random.Random(1)
    rng_lock = threading.Lock()

    def flaky_commit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with rng_lock:
            crash = rng.random() < 0.1
        if crash:
            raise Crash
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(DynamoInvoiceLedger, "_commit", flaky_commit)
    work = list(range(INVOICES)) + list(range(0, INVOICES, 10))  # every 10th one delivered twice
    random.Random(2).shuffle(work)
    queue_lock = threading.Lock()
    crashes = [0]

    def worker() -> None:
        while True:
            with queue_lock:
                if not work:
                    return
                i = work.pop()
            account = customers.get(tenant_id, f"c{i}")
            invoice = replace(
                template,
                invoice_id=f"inv-{i}",
                customer_id=f"c{i}",
            )
            while True:
                try:
                    ledger.issue(
                        IssueRequest(
                            invoice=invoice,
                            account=account,
                            next_period_start=date(2026, 12, 1),
                            page_token=f"token{i:027d}",
                            run_id=run_id,
                            now=datetime.now(UTC),
                            series=InvoiceSeries("NM-"),
                        )
                    )
                    break
                except Crash:
                    with queue_lock:
                        crashes[0] += 1
                except RetryableError:
                    continue  # what SQS does with a message whose worker gave up: deliver it again

    # When four workers issue them concurrently
    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then there is one invoice per customer, numbered exactly 1..1000, and the counter agrees
    invoices = invoices_of(tenant_id)
    assert crashes[0] > 50  # the failures really happened
    assert len(invoices) == INVOICES
    assert sorted(int(i.sequence) for i in invoices) == list(range(1, INVOICES + 1))
    assert len({i.number for i in invoices}) == INVOICES
    assert counter_value(tenant_id) == INVOICES
    assert stores.NUMBER_RACE_ATTEMPTS >= 1
