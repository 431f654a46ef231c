"""Invoices computed per second per core by the pricing engine, on a realistic catalog.

The catalog has 10 charges (a flat fee and one of every usage model and aggregation); every customer
has 1,000 usage events in the period. One process runs on one core, so invoices per second here are
per core. Each figure is the median over several runs.

    .venv/bin/python bench/bench_pricing.py [--runs 7] [--invoices 200]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from billing.domain.pricing import compute_invoice
from billing.domain.scenario import (
    parse_catalog,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
    quote_scenario,
)

TIERS = [
    {"up_to": 10000, "unit_price": "0"},
    {"up_to": 100000, "unit_price": "2"},
    {"up_to": None, "unit_price": "1"},
]

CHARGES: list[dict[str, Any]] = [
    {"code": "platform", "name": "Platform", "model": "flat", "amount": 49900, "vat_rate": "25"},
    {
        "code": "calls",
        "name": "API calls",
        "model": "per_unit",
        "metric": "api_call",
        "aggregation": "count",
        "unit_price": "0.5",
        "vat_rate": "25",
    },
    {
        "code": "requests",
        "name": "Requests",
        "model": "graduated",
        "metric": "request",
        "aggregation": "sum",
        "tiers": TIERS,
        "vat_rate": "25",
    },
    {
        "code": "bandwidth",
        "name": "Bandwidth",
        "model": "volume",
        "metric": "bandwidth_gb",
        "aggregation": "sum",
        "tiers": TIERS,
        "vat_rate": "25",
    },
    {
        "code": "storage",
        "name": "Storage",
        "model": "package",
        "metric": "storage_gb",
        "aggregation": "max",
        "package_size": 100,
        "package_price": 4900,
        "free_units": 50,
        "vat_rate": "25",
    },
    {
        "code": "card_fees",
        "name": "Card fees",
        "model": "percentage",
        "metric": "payment",
        "percentage": "1.4",
        "fixed_fee": "180",
        "min_per_event": "200",
        "max_per_event": "5000",
        "vat_rate": "25",
    },
    {
        "code": "users",
        "name": "Active users",
        "model": "per_unit",
        "metric": "login",
        "aggregation": "unique_count",
        "field": "user",
        "unit_price": "2500",
        "vat_rate": "25",
    },
    {
        "code": "seats",
        "name": "Seats",
        "model": "per_unit",
        "metric": "seats",
        "aggregation": "weighted_sum",
        "unit_price": "9900",
        "vat_rate": "25",
    },
    {
        "code": "licences",
        "name": "Licences",
        "model": "per_unit",
        "metric": "licences",
        "aggregation": "latest",
        "unit_price": "5000",
        "vat_rate": "25",
    },
    {
        "code": "sms",
        "name": "SMS",
        "model": "per_unit",
        "metric": "sms",
        "aggregation": "count",
        "filters": {"country": ["se", "no"]},
        "unit_price": "45",
        "vat_category": "standard",
        "min_amount": 1000,
    },
]
METRICS = [c["metric"] for c in CHARGES if "metric" in c]


def scenario(seed: int, events_per_customer: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    start = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    events = []
    for i in range(events_per_customer):
        metric = METRICS[i % len(METRICS)]
        events.append(
            {
                "id": f"evt_{seed}_{i}",
                "customer_id": "cus_1",
                "metric": metric,
                "timestamp": (start + timedelta(seconds=rnd.randrange(28 * 86400))).isoformat(),
                "value": str(rnd.randrange(1, 100000)) if metric != "seats" else str(rnd.randrange(1, 50)),
                "properties": {
                    "user": f"u{rnd.randrange(40)}",
                    "country": rnd.choice(["se", "no", "dk", "fi"]),
                },
            }
        )
    return {
        "tenant": {
            "tenant_id": "t1",
            "legal_name": "Molnbolaget AB",
            "org_number": "556677-8899",
            "vat_number": "SE556677889901",
            "address": ["Storgatan 1", "111 22 Stockholm"],
        },
        "catalog": {
            "plans": [
                {
                    "code": "scale",
                    "name": "Scale",
                    "interval": "monthly",
                    "currency": "SEK",
                    "charges": CHARGES,
                    "minimum_commitment": 100000,
                }
            ]
        },
        "customer": {"id": "cus_1", "name": "Kund AB", "address": ["Gatan 2", "411 18 Göteborg"]},
        "subscription": {
            "id": "sub_1",
            "customer_id": "cus_1",
            "phases": [{"plan": "scale", "start": "2026-01-01"}],
        },
        "events": events,
        "period_start": "2026-03-01",
    }


def time_engine(data: dict[str, Any], invoices: int) -> float:
    """Seconds for `invoices` invoices from parsed input (what the worker does after loading)."""
    tenant = parse_tenant_settings(data["tenant"])
    catalog = parse_catalog(data["catalog"])
    customer = parse_customer(data["customer"])
    subscription = parse_subscription(data["subscription"])
    events = [parse_usage_event(e) for e in data["events"]]
    started = time.process_time()
    for _ in range(invoices):
        compute_invoice(
            tenant=tenant,
            catalog=catalog,
            customer=customer,
            subscription=subscription,
            events=events,
            period_start=date(2026, 3, 1),
        )
    return time.process_time() - started


def time_documents(data: dict[str, Any], invoices: int) -> float:
    """Seconds for `invoices` invoices from JSON documents to a JSON document (parse + engine + to_dict)."""
    text = json.dumps(data)
    started = time.process_time()
    for _ in range(invoices):
        json.dumps(quote_scenario(json.loads(text)))
    return time.process_time() - started


def main(argv: list[str] | None = None) -> None:
    """Print the table; `argv` lets `python -m bench` pass its own arguments."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--invoices", type=int, default=100, help="invoices per run")
    parser.add_argument("--events", type=int, default=1000, help="usage events per customer")
    args = parser.parse_args(argv)

    data = scenario(1, args.events)
    time_engine(data, 3)  # warm up imports and caches
    rows = []
    for label, timer in (("engine (parsed input)", time_engine), ("JSON in -> JSON out", time_documents)):
        rates = [args.invoices / timer(scenario(run, args.events), args.invoices) for run in range(args.runs)]
        median = statistics.median(rates)
        rows.append((label, median, min(rates), max(rates), 1000 / median))

    print(
        f"Pricing engine: {len(CHARGES)} charges, {args.events} usage events per customer, "
        f"{args.invoices} invoices x {args.runs} runs, Python {platform.python_version()}, one core"
    )
    print()
    print(f"{'path':<24}{'invoices/s/core (median)':>26}{'min':>10}{'max':>10}{'ms/invoice':>12}")
    for label, median, low, high, ms in rows:
        print(f"{label:<24}{median:>26.1f}{low:>10.1f}{high:>10.1f}{ms:>12.2f}")


if __name__ == "__main__":
    main()
