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
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.pricing import compute_invoice
from billing.domain.scenario import (
    parse_catalog,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
    quote_scenario,
)
from billing.domain.usage import UsageEvent, additive_metrics, daily_total_events
from billing.services.billed_usage import billed_window

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
    """CPU seconds for `invoices` invoices from parsed input (what the worker does after loading)."""
    return time_events(data, [parse_usage_event(e) for e in data["events"]], invoices)


TIMEZONE = "Europe/Stockholm"  # the customer's (parties.Customer's default)


def worker_input(data: dict[str, Any], months: int) -> tuple[list[UsageEvent], list[UsageEvent]]:
    """What the billing worker passes the engine: the previous design's, and today's.

    The worker reads usage for the billed month and the page's plan-fit months before it: raw events
    where a charge needs them, daily totals for metrics only summed or counted (services/billed_usage).
    The previous design passed all of it to the engine; now `billed_window` keeps what the billed
    month needs. The scenario's month of events is repeated 28 days apart for `months` months.
    """
    catalog = parse_catalog(data["catalog"])
    events = [
        parse_usage_event(
            {
                **raw,
                "id": f"{raw['id']}-{back}",
                "timestamp": (
                    datetime.fromisoformat(raw["timestamp"]) - timedelta(days=28 * back)
                ).isoformat(),
            }
        )
        for raw in data["events"]
        for back in range(months)
    ]
    summed = additive_metrics(catalog)
    totals: dict[tuple[date, str], tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
    for e in events:
        if e.metric in summed:
            key = (e.timestamp.astimezone(ZoneInfo(TIMEZONE)).date(), e.metric)
            value, count = totals[key]
            totals[key] = (value + e.value, count + 1)
    passed = [e for e in events if e.metric not in summed]
    passed += daily_total_events("cus_1", totals, TIMEZONE)
    billed_from = date(2026, 2, 1)  # the usage month of the invoice for the period from 2026-03-01
    return passed, billed_window(passed, catalog, billed_from, TIMEZONE)


def time_events(data: dict[str, Any], events: list[UsageEvent], invoices: int) -> float:
    """CPU seconds for `invoices` invoices from parsed input and the given events."""
    tenant = parse_tenant_settings(data["tenant"])
    catalog = parse_catalog(data["catalog"])
    customer = parse_customer(data["customer"])
    subscription = parse_subscription(data["subscription"])
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


# Issue 13's goals, invoices/s/core.
GOAL_RAW_EVENTS = 1000
GOAL_WORKER = 2000


def measure(runs: int, invoices: int, events: int, months: int = 4) -> dict[str, list[float]]:
    """Invoices per CPU-second for each path, one figure per run (a fresh scenario each)."""
    time_engine(scenario(1, events), 3)  # warm up imports and caches
    rates: dict[str, list[float]] = defaultdict(list)
    for run in range(runs):
        data = scenario(run, events)
        rates["engine, raw events"].append(invoices / time_engine(data, invoices))
        rates["JSON in -> JSON out"].append(invoices / time_documents(data, invoices))
        before, now = worker_input(data, months)
        rates[f"worker input, previous ({months} months)"].append(
            invoices / time_events(data, before, invoices)
        )
        rates["worker input, billed window"].append(invoices / time_events(data, now, invoices))
    return dict(rates)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print the table and return the medians; `argv` lets `python -m bench` pass its own arguments."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--invoices", type=int, default=100, help="invoices per run")
    parser.add_argument("--events", type=int, default=1000, help="usage events per customer and month")
    args = parser.parse_args(argv)

    rates = measure(args.runs, args.invoices, args.events)
    goals = {
        "engine, raw events": f">= {GOAL_RAW_EVENTS:,}",
        "worker input, billed window": f">= {GOAL_WORKER:,}",
    }
    print(
        f"Pricing engine: {len(CHARGES)} charges, {args.events} usage events per customer and month, "
        f"{args.invoices} invoices x {args.runs} runs, Python {platform.python_version()}, CPU time of"
        " one process (invoices per CPU-second = per core)"
    )
    print()
    print(f"{'path':<38}{'invoices/s/core (median)':>26}{'min':>10}{'max':>10}{'ms/invoice':>12}{'goal':>10}")
    medians = {}
    for label, values in rates.items():
        median = medians[label] = statistics.median(values)
        print(
            f"{label:<38}{median:>26.1f}{min(values):>10.1f}{max(values):>10.1f}{1000 / median:>12.2f}"
            f"{goals.get(label, ''):>10}"
        )
    previous = next(v for k, v in medians.items() if k.startswith("worker input, previous"))
    ratio = medians["worker input, billed window"] / previous
    print(f"\nBilled window against the previous worker input: {ratio:.2f}x")
    return medians


if __name__ == "__main__":
    main()
