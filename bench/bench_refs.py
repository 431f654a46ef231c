"""Finding what a Stripe id was made for, by the tenant's size (`python -m bench.bench_refs`, and the
last table of `make bench`).

A Stripe event without our metadata (a dispute named by its charge) must find its invoice. Before
StripeRefsTable this was a consistent query of the tenant's invoice partition filtered on the id within
the state (as PynamoDB wrote it: the id as a JSON string); now it is one consistent GetItem. Both are
measured on the local stack over one tenant with N invoice items shaped like the billing run's (the
attributes an issued, paid invoice carries, its document compressed as stored) and the read units
DynamoDB reports: for an id the last invoice names, and for an id nobody names (another system's
charge on the same Stripe account), which the query can only answer by reading every item.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

SIZES = (100, 1000, 5000)


def _items(tenant_id: str, n: int) -> list[tuple[str, str]]:
    """N invoices with a Stripe record each, written as the run and the webhook leave them; returns
    (invoice id, PaymentIntent id) per invoice, in key order."""
    from billing.adapters.dynamo.models import InvoiceModel
    from billing.adapters.dynamo.stripe_refs import Owner, put

    # A real invoice document is about 2.3 KB of JSON and 0.8 KB compressed (docs/performance.md).
    document = {"lines": [{"description": f"line {i}", "amount": 12345 + i} for i in range(24)]}
    written: list[tuple[str, str]] = []
    with InvoiceModel.batch_write() as batch:
        for i in range(n):
            invoice_id = secrets.token_hex(16)
            intent = f"pi_{secrets.token_hex(12)}"
            session = f"cs_test_{secrets.token_hex(16)}"
            item = InvoiceModel(
                tenant_id,
                invoice_id,
                customer_id=f"c{i}",
                customer_key=f"{tenant_id}#c{i}",
                period_start="2026-11-01",
                period_end="2026-11-30",
                number=f"NM-{i:06d}",
                sequence=i,
                page_token=secrets.token_urlsafe(24),
                status="paid",
                due_date="2026-12-31",
                currency="SEK",
                total=49900,
                amount_due=0,
                amount_paid=49900,
                document=document,
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
                state={
                    "payments": {
                        "invoice_total": 49900,
                        "currency": "SEK",
                        "payments": {intent: {"status": "succeeded", "as_of": "2026-12-02T10:00:00+00:00"}},
                        "amount_paid": 49900,
                        "settled_refs": [intent],
                        "charges": {f"ch_{secrets.token_hex(12)}": intent},
                    },
                    "stripe": {
                        "checkout": {"session": session, "status": "complete"},
                        "refs": [session, intent],
                    },
                },
            )
            batch.save(item)
            written.append((invoice_id, intent))
    for invoice_id, intent in written:
        put(tenant_id, Owner.INVOICE, invoice_id, intent)
    return sorted(written)


def _old_lookup(client: Any, table: str, tenant_id: str, ref: str) -> tuple[str | None, float]:
    """The replaced look-up: a consistent query of the partition filtered on `contains(state, ref)`.
    DynamoDB reads (and bills) every item up to the first match, whatever the filter keeps."""
    found, units = None, 0.0
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "tenant_id = :t",
        "FilterExpression": "contains(#s, :r)",
        "ExpressionAttributeNames": {"#s": "state"},
        "ExpressionAttributeValues": {":t": {"S": tenant_id}, ":r": {"S": f'"{ref}"'}},
        "ProjectionExpression": "invoice_id",
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "TOTAL",
    }
    while True:
        answer = client.query(**kwargs)
        units += float(answer["ConsumedCapacity"]["CapacityUnits"])
        if answer["Items"]:
            found = answer["Items"][0]["invoice_id"]["S"]
            break
        if "LastEvaluatedKey" not in answer:
            break
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return found, units


def _new_lookup(client: Any, table: str, tenant_id: str, ref: str) -> tuple[str | None, float]:
    answer = client.get_item(
        TableName=table,
        Key={"tenant_id": {"S": tenant_id}, "item_key": {"S": f"invoice#{ref}"}},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    item = answer.get("Item")
    return (item["owner_id"]["S"] if item else None), float(answer["ConsumedCapacity"]["CapacityUnits"])


def measure(sizes: Sequence[int] = SIZES) -> list[tuple[str, ...]]:
    import boto3

    from billing.settings import settings
    from billing.wiring.core import bind_tables

    bind_tables()
    client = boto3.client("dynamodb")
    invoices, refs = settings().invoices_table, settings().stripe_refs_table
    rows: list[tuple[str, ...]] = []
    for n in sizes:
        tenant_id = f"bench-refs-{secrets.token_hex(4)}"
        written = _items(tenant_id, n)
        last_invoice, last_intent = written[-1]
        for label, ref, expected in (
            ("the last in key order", last_intent, last_invoice),
            ("nobody's", f"pi_{secrets.token_hex(12)}", None),
        ):
            started = time.perf_counter()
            found, old_units = _old_lookup(client, invoices, tenant_id, ref)
            old_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            found_now, new_units = _new_lookup(client, refs, tenant_id, ref)
            new_ms = (time.perf_counter() - started) * 1000
            assert found == found_now == expected, (found, found_now, expected)
            rows.append(
                (
                    f"{n:,}",
                    label,
                    f"{old_units:,.1f}",
                    f"{old_ms:,.1f}",
                    f"{new_units:.1f}",
                    f"{new_ms:.1f}",
                    f"{old_units / new_units:,.0f}x",
                )
            )
    return rows


HEADER = ("invoices", "id", "query RCU", "query ms", "get RCU", "get ms", "RCU ratio")


def main() -> int:
    from bench.__main__ import _print_table
    from bench.local_billing import on_local_stack

    if not on_local_stack():
        return 1
    sizes = [int(s) for s in os.environ.get("BENCH_REFS_SIZES", "").split(",") if s] or list(SIZES)
    _print_table(
        "Finding a Stripe id's invoice: the tenant-wide query it replaced, against StripeRefsTable",
        HEADER,
        measure(sizes),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
