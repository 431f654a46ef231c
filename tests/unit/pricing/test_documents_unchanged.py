"""The invoice documents of fixed scenarios stay byte for byte what they were before the engine was
made faster (issue 13): the golden files were written by the engine before that work.

The scenarios are bench_pricing's catalog (every charge model and aggregation, a filter, a minimum)
with raw events, duplicate ids carrying other values and timestamps included, as `billing quote`
prints them for an invoice and for a preview. Regenerate only for a deliberate change of the documents:
`GOLDEN_WRITE=1 .venv/bin/python -m pytest tests/unit/pricing/test_documents_unchanged.py`.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.bench_pricing import scenario
from billing.domain.pricing import compute_invoice
from billing.domain.scenario import (
    parse_catalog,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
    quote_scenario,
)

GOLDEN = Path(__file__).parent / "golden"


def _with_duplicates(seed: int, events: int, *, differing: bool) -> dict[str, Any]:
    # Given bench_pricing's scenario, plus re-sent ids: copies, or (where the engine is called
    # directly; `billing quote` refuses them) with another value or instant than the first
    data = scenario(seed, events)
    rnd = random.Random(seed)
    originals = data["events"]
    for event in rnd.sample(originals, len(originals) // 10):
        again = dict(event)
        if differing:
            again["value"] = str(rnd.randrange(1, 1000))
            if rnd.random() < 0.5:
                again["timestamp"] = originals[rnd.randrange(len(originals))]["timestamp"]
        originals.append(again)
    rnd.shuffle(originals)
    return data


def _engine(data: dict[str, Any]) -> dict[str, Any]:
    # The worker's path: parsed input straight into the engine (as bench_pricing.time_engine does)
    invoice = compute_invoice(
        tenant=parse_tenant_settings(data["tenant"]),
        catalog=parse_catalog(data["catalog"]),
        customer=parse_customer(data["customer"]),
        subscription=parse_subscription(data["subscription"]),
        events=[parse_usage_event(e) for e in data["events"]],
        period_start=date.fromisoformat(data["period_start"]),
    )
    return invoice.to_dict()


CASES = {
    "invoice_seed1": lambda: quote_scenario(_with_duplicates(1, 400, differing=False)),
    "invoice_seed2": lambda: quote_scenario(_with_duplicates(2, 1000, differing=False)),
    "preview_seed3": lambda: quote_scenario(
        {
            **_with_duplicates(3, 300, differing=False),
            "action": "preview",
            "as_of": "2026-02-20T12:00:00+00:00",
        }
    ),
    "engine_seed4": lambda: _engine(_with_duplicates(4, 1000, differing=True)),
    "engine_seed5": lambda: _engine(_with_duplicates(5, 200, differing=True)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_document_is_what_it_was(name: str) -> None:
    # When the scenario is quoted
    document = json.dumps(CASES[name](), indent=1, sort_keys=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("GOLDEN_WRITE") == "1":
        path.write_text(document, encoding="utf-8")
    # Then it is byte for byte the document the engine gave before
    assert document == path.read_text(encoding="utf-8")
