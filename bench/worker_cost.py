"""What one invoice costs the billing worker in DynamoDB requests and write units, on a local stack.

`python -m bench.worker_cost --customers 100 [--dump DIR] [--sizes]`

Seeds one tenant (a fixed id, so documents compare across branches), runs two monthly runs (the
second finds each customer's earlier invoice, as every run after the first does) and prints, per run,
the requests per invoice by operation, DynamoDB Local's write units and the write units by AWS's
documented rule from item sizes (bench.aws_calls). `--dump DIR` writes every invoice's page and email
with the random page token replaced, for a before/after `diff -r`. It starts a private local stack
and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

from bench import aws_calls, local_billing


def _run(tenant_id: str, run_date: date) -> local_billing.Measured:
    import time

    import boto3

    from bench.aws_calls import COUNTER
    from infra.local_lambda import invoke, scheduler_event
    from infra.local_run import drain

    scheduled = datetime(run_date.year, run_date.month, run_date.day, 5, 0, tzinfo=UTC)
    before, cpu0, t0 = COUNTER.snapshot(), time.process_time(), time.perf_counter()
    started = invoke(
        "StartBillingRunFunction", scheduler_event("StartBillingRunFunction", scheduled, tenant_id=tenant_id)
    )
    drain(boto3.client("sqs"), os.environ["INVOICE_QUEUE_URL"], deadline_s=3600)
    calls = COUNTER.snapshot() - before
    return local_billing.Measured(
        f"run {run_date}",
        int(started["queued"]),
        time.perf_counter() - t0,
        time.process_time() - cpu0 - calls.counting_cpu,  # not the bench's own sizing of items
        calls,
        {},
    )


def _report(run: local_billing.Measured) -> None:
    n = run.items or 1
    ops = {op: c / n for (svc, op), c in run.calls.calls.items() if svc == "dynamodb"}
    print(
        f"{run.label}: {run.items} invoices, {sum(ops.values()):.2f} DynamoDB requests/invoice ("
        + ", ".join(f"{op} {v:.2f}" for op, v in sorted(ops.items(), key=lambda x: -x[1]))
        + f"); write units/invoice: AWS rule {run.calls.aws_write_units / n:.1f}, "
        f"DynamoDB Local {run.calls.write_units / n:.1f}; read units/invoice {run.calls.read_units / n:.1f}"
    )
    tables = sorted(run.calls.aws_units_by_table.items(), key=lambda x: -x[1])
    print("  AWS-rule write units/invoice by table: " + ", ".join(f"{t} {u / n:.1f}" for t, u in tables))


def _sizes(tenant_id: str) -> None:
    """The invoice items' sizes by AWS's rule, and what takes the room: the write units follow them."""
    from billing.adapters.dynamo.models import InvoiceModel

    client = InvoiceModel._get_connection().connection.client
    items = []
    for page in client.get_paginator("query").paginate(
        TableName=InvoiceModel.Meta.table_name,
        KeyConditionExpression="tenant_id = :t",
        ExpressionAttributeValues={":t": {"S": tenant_id}},
    ):
        items += page["Items"]
    sizes = sorted(aws_calls.item_size(i) for i in items)
    by_attribute: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            by_attribute[name] = by_attribute.get(name, 0) + aws_calls.item_size({name: value})
    print(
        f"invoice items: {len(items)}, bytes by AWS's rule: median {sizes[len(sizes) // 2]},"
        f" max {sizes[-1]}; over 1 KB: {sum(1 for x in sizes if x > 1024)}"
    )
    mean = sorted(((b / len(items), n) for n, b in by_attribute.items()), reverse=True)
    print("  mean bytes by attribute (name included): " + ", ".join(f"{n} {b:.0f}" for b, n in mean))


def _dump(tenant_id: str, target: Path) -> None:
    import boto3

    from billing.adapters.dynamo.models import InvoiceModel
    from billing.settings import settings

    s3 = boto3.client("s3")
    bucket = settings().pages_bucket
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/data.json") as response:
        mails = json.load(response).get("ses", {}).get("Message", []) or []
    target.mkdir(parents=True, exist_ok=True)
    for item in InvoiceModel.query(tenant_id, consistent_read=True):
        token = item.page_token
        page = s3.get_object(Bucket=bucket, Key=f"i/{token}")["Body"].read().decode()
        address = f"{item.customer_id}.{tenant_id}@kund.example.se"
        sent = [m for m in mails if address in (m.get("destinations", {}).get("ToAddresses") or [])]
        bodies = [json.dumps(m.get("body"), sort_keys=True) + str(m.get("subject")) for m in sent]
        name = f"{item.customer_id}-{item.period_start}"
        text = "\n".join([page, *[b for b in bodies if item.number in b]])
        (target / name).write_text(re.sub(re.escape(token), "TOKEN", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--run-date", type=date.fromisoformat, default=date(2026, 10, 1))
    parser.add_argument("--tenant", default="bench-cost")
    parser.add_argument("--dump", type=Path, help="write pages and emails here")
    parser.add_argument("--sizes", action="store_true", help="print the invoice items' sizes")
    args = parser.parse_args(argv)

    aws_calls.install()
    from infra.local_stack import LocalStack

    stack = LocalStack.private()
    try:
        stack.apply_env()
        local_billing.quiet_lambda_env()
        from billing.adapters.dynamo.usage import load_history
        from infra import demo_data

        second = local_billing.add_months(args.run_date, 1)
        local_billing.seed_tenant("bench-warm", 3, args.run_date)
        _run("bench-warm", args.run_date)  # imports, templates, clients: not reported
        local_billing.seed_tenant(args.tenant, args.customers, args.run_date)
        people = demo_data.customers(
            args.customers, history_start=local_billing.add_months(args.run_date, -11), tenant_id=args.tenant
        )
        for c in people:
            load_history(args.tenant, "Europe/Stockholm", demo_data.usage_events(c, args.run_date, second))
        for day in (args.run_date, second):
            _report(_run(args.tenant, day))
        if args.sizes:
            _sizes(args.tenant)
        if args.dump:
            _dump(args.tenant, args.dump)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
