"""Measurements on the local stack: usage ingestion through its handler, and whole billing runs.

Every measurement uses a fresh tenant, so it can run beside tests and earlier measurements without
either seeing the other's data. Wall time is `time.perf_counter`, the Lambda code's CPU time is
`time.process_time` (DynamoDB Local and moto run in their own processes and are not counted), and AWS
requests and DynamoDB capacity units come from bench.aws_calls.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.aws_calls import COUNTER, Snapshot


@dataclass(frozen=True)
class Measured:
    label: str
    items: int  # events ingested, or invoices issued
    seconds: float
    cpu_seconds: float
    calls: Snapshot
    extra: dict[str, Any]

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def per_item(self, service: str, operation: str | None = None) -> float:
        return self.calls.count(service, operation) / self.items if self.items else 0.0


def on_local_stack() -> bool:
    """Start (or reuse) the local stack and point this process at it, the handlers' logs quiet; False,
    said on stderr, when it cannot start."""
    from infra.local_stack import LocalStack, LocalStackError

    try:
        stack = LocalStack.ensure()
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    stack.apply_env()
    quiet_lambda_env()
    return True


def quiet_lambda_env() -> None:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    os.environ["LOCAL_IAM"] = "off"  # figures without the local stack's policy check (infra.local_iam)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ.setdefault("PAGES_BASE_URL", "http://127.0.0.1")
    os.environ.setdefault("API_BASE_URL", "http://127.0.0.1")


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def seed_tenant(tenant_id: str, customers: int, run_date: date, *, usage: bool = True) -> int:
    """The demo merchant with `customers` customers due on `run_date` (those who started by then) and
    last month's usage for each; written with BatchWriteItem. Returns the number of usage events."""
    from billing.adapters.dynamo.models import CustomerModel
    from billing.adapters.dynamo.stores import DynamoTenantDirectory, due_bucket
    from billing.adapters.dynamo.usage import load_history
    from billing.wiring.core import bind_tables
    from infra import demo_data

    bind_tables()
    DynamoTenantDirectory.put(
        tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, demo_data.PAGE_SETTINGS
    )
    people = demo_data.customers(customers, history_start=add_months(run_date, -11), tenant_id=tenant_id)
    events = 0
    with CustomerModel.batch_write() as batch:
        for c in people:
            first = max(c.start.replace(day=1), run_date).isoformat()
            batch.save(
                CustomerModel(
                    tenant_id,
                    c.profile["id"],
                    profile=c.profile,
                    subscription=c.subscription,
                    email=c.email,
                    next_period_start=first,
                    next_invoice_date=first,
                    due_bucket=due_bucket(tenant_id, c.profile["id"]),
                    usage_shards=1,  # as the API creates a customer
                )
            )
    if usage:
        # Through the bulk loader: raw events, duplicate markers and daily totals, as ingestion keeps them.
        for c in people:
            history = demo_data.usage_events(c, add_months(run_date, -1), run_date)
            load_history(tenant_id, c.profile.get("timezone", "Europe/Stockholm"), history)
            events += len(history)
    return events


def measure_ingestion(
    batches: int, customers: int = 20, items_per_transaction: int | None = None
) -> Measured:
    """`batches` requests of 100 events each, one after another through the Lambda handler (one
    instance), as API Gateway would deliver them. `items_per_transaction` overrides the setting
    (USAGE_TRANSACTION_ITEMS) for this measurement, to tell per-event from per-request costs apart.
    `extra["aws_transactions_per_event"]`: the transactions the same requests take at AWS's 100 items
    each (two items an event, one a daily total), which DynamoDB Local (10 at most) cannot run."""
    from billing.adapters.dynamo.usage import DynamoApiKeys
    from billing.services.ingest_usage import create_api_key
    from billing.wiring.core import tenant_directory
    from infra.local_lambda import LambdaContext, http_api_event, lambda_output

    tenant_id = f"bench-in-{uuid.uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    seed_tenant(tenant_id, customers, add_months(today, 1), usage=False)
    key = create_api_key(DynamoApiKeys(), tenant_directory(), tenant_id, "bench", datetime.now(UTC))
    with lambda_output():
        from billing.handlers.ingest_usage import lambda_handler

    base = datetime.now(UTC) - timedelta(hours=1)

    def events_of(n: int) -> list[dict[str, Any]]:
        return [
            {
                "id": f"b{n}-{i}",
                "customer_id": f"c{1 + (n * 100 + i) % customers:05d}",
                "metric": ("data_gb", "sms", "intl_minutes")[i % 3],
                "timestamp": (base + timedelta(seconds=(n * 100 + i) % 3000)).isoformat(),
                "value": f"{1 + i % 7}.5",
            }
            for i in range(100)
        ]

    def request(n: int) -> dict[str, Any]:
        events = events_of(n)
        return http_api_event(
            method="POST",
            raw_path="/v1/usage",
            route_key="POST /v1/usage",
            path_parameters={},
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
            query="",
            body=json.dumps({"events": events}).encode(),
        )

    def send(event: dict[str, Any]) -> None:
        with lambda_output():
            response = lambda_handler(event, LambdaContext(function_name="IngestUsageFunction"))
        body = json.loads(response["body"])
        if response["statusCode"] != 200 or body["accepted"] != 100:
            raise RuntimeError(f"ingestion refused events: {response['statusCode']} {body.get('rejected')}")

    send(request(-1))  # warm: imports, clients, the tenant cache
    from billing.handlers.ingest_usage import ingest

    ledger = ingest().ledger
    setting = ledger.items_per_transaction  # type: ignore[attr-defined]
    if items_per_transaction:
        ledger.items_per_transaction = items_per_transaction  # type: ignore[attr-defined]
    prepared = [request(n) for n in range(batches)]
    try:
        before, cpu0, t0 = COUNTER.snapshot(), time.process_time(), time.perf_counter()
        for event in prepared:
            send(event)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        ledger.items_per_transaction = setting  # type: ignore[attr-defined]
    aws = 0
    for n in range(batches):
        events = events_of(n)
        totals = {(e["customer_id"], e["metric"], e["timestamp"][:10]) for e in events}
        aws += -(-(len(events) + len(totals)) // 100)  # an item an event, one a total
    extra = {"aws_transactions_per_event": aws / (batches * 100), "items_per_transaction": setting}
    calls = COUNTER.snapshot() - before
    return Measured("ingestion", batches * 100, seconds, cpu - calls.counting_cpu, calls, extra)


def measure_run(customers: int, run_date: date) -> Measured:
    """One tenant's billing run end to end: the Scheduler event to the starter, then the worker
    handler fed from the queue in batches of ten until every customer is done (one worker instance)."""
    import boto3

    from billing.wiring.core import run_ledger
    from infra.local_lambda import invoke, scheduler_event
    from infra.local_run import drain

    tenant_id = f"bench-run-{uuid.uuid4().hex[:8]}"
    t_seed = time.perf_counter()
    events = seed_tenant(tenant_id, customers, run_date)
    seed_seconds = time.perf_counter() - t_seed
    # As infra.local_run.run_billing, with no time limit on the drain (10,000 customers take minutes).
    scheduled = datetime(run_date.year, run_date.month, run_date.day, 5, 0, tzinfo=UTC)  # 06:00 Stockholm
    event = scheduler_event("StartBillingRunFunction", scheduled, tenant_id=tenant_id)
    sqs = boto3.client("sqs")
    before, cpu0, t0 = COUNTER.snapshot(), time.process_time(), time.perf_counter()
    result = invoke("StartBillingRunFunction", event)
    starter_seconds = time.perf_counter() - t0
    drain(sqs, os.environ["INVOICE_QUEUE_URL"], deadline_s=4 * 3600)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    calls = COUNTER.snapshot() - before
    cpu -= calls.counting_cpu  # the bench's own sizing of written items is not the worker's
    summary = run_ledger().summary(result["run_id"])
    if summary is None or summary.invoiced + summary.skipped != summary.queued or summary.failed:
        raise RuntimeError(f"the run did not finish cleanly: {summary}")
    return Measured(
        f"run of {customers}",
        summary.invoiced,
        seconds,
        cpu,
        calls,
        {
            "customers": customers,
            "due": summary.queued,
            "skipped": summary.skipped,
            "starter_seconds": starter_seconds,
            "amounts": dict(summary.amounts),
            "usage_events": events,
            "seed_seconds": seed_seconds,
        },
    )
