"""Parallel number series (billing.domain.numbering): one series is today's numbering byte for byte;
several give each customer one series for good, each with its own prefix and gapless sequence."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace

import pytest

from billing.domain.numbering import MAX_SERIES, InvoiceSeries, customer_series, invoice_series
from billing.domain.ocr import ocr_reference
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_tenant_settings
from infra import demo_data
from tests.unit.billing_run.test_issue_invoice import RUN_DATE, TENANT, World


def test_one_series_numbers_and_references_exactly_as_before() -> None:
    # Given a tenant with the default, one series
    settings = parse_tenant_settings(demo_data.tenant_settings(TENANT))
    assert settings.invoice_series_count == 1

    # When any customer's series is asked for
    series = customer_series(settings, "c00042")

    # Then it is the prefix alone, and the OCR reference is the sequence's digits
    assert series == InvoiceSeries("NM-")
    assert series.numbered(_invoice(), 38, True).number == "NM-000038"
    assert series.numbered(_invoice(), 38, True).ocr == ocr_reference("38", True)


def test_several_series_give_each_customer_one_series_with_its_own_prefix_and_unique_ocr() -> None:
    # Given three series
    customers = [f"c{i:05d}" for i in range(300)]

    # When each customer's series is drawn, twice
    first = {c: invoice_series("NM-", 3, c) for c in customers}
    again = {c: invoice_series("NM-", 3, c) for c in customers}

    # Then it is stable, all three are used, and their prefixes differ
    assert first == again
    assert {s.prefix for s in first.values()} == {"NM-1-", "NM-2-", "NM-3-"}
    assert min(Counter(s.prefix for s in first.values()).values()) > 50
    # And no two numbers of the tenant share an OCR reference, whatever their sequence
    refs = [
        s.numbered(_invoice(), n, False).ocr for s in set(first.values()) for n in (1, 9, 10, 999999, 10**6)
    ]
    assert len(refs) == len(set(refs))
    assert not any(str(r).startswith("9") for r in refs)  # relief plans' OCRs start with 9


@pytest.mark.parametrize("count", [0, MAX_SERIES + 1])
def test_a_series_count_outside_1_to_8_is_refused(count: int) -> None:
    with pytest.raises(ScenarioError):
        parse_tenant_settings({**demo_data.tenant_settings(TENANT), "invoice_series_count": count})
    with pytest.raises(ValueError):
        invoice_series("NM-", count, "c1")


def test_a_run_over_three_series_numbers_each_series_1_to_n_without_gaps() -> None:
    # Given a tenant numbering through three series, and twelve customers due
    world = World(12)
    tenant = world.worker.tenants.get(TENANT)
    three = replace(tenant, settings=replace(tenant.settings, invoice_series_count=3))
    world.worker.tenants.tenants[TENANT] = three  # type: ignore[attr-defined]

    # When the run issues every customer's invoice
    started = world.starter(TENANT, RUN_DATE)
    for request in world.queue.requests():
        world.worker(request)

    # Then each series is numbered 1..n without a gap, and its counter says n
    by_series: dict[str, list[int]] = defaultdict(list)
    for stored in world.stored():
        number = stored.invoice.number or ""
        prefix, sequence = number[:-6], int(number[-6:])
        assert prefix == customer_series(three.settings, stored.invoice.customer_id).prefix
        by_series[prefix].append(sequence)
    assert started.queued == 12 and len(by_series) > 1
    for prefix, sequences in by_series.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
        assert world.ledger.counters[f"{TENANT}#{prefix}"] == len(sequences)


def _invoice():  # type: ignore[no-untyped-def]
    from billing.domain.invoice import Invoice
    from billing.domain.pricing import compute_invoice
    from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription

    profile = {"id": "c1", "name": "Kund", "address": ["Gatan 1", "111 11 Stockholm"]}
    invoice: Invoice = compute_invoice(
        tenant=parse_tenant_settings(demo_data.tenant_settings(TENANT)),
        catalog=parse_catalog(demo_data.CATALOG),
        customer=parse_customer(profile),
        subscription=parse_subscription(
            {"id": "s1", "customer_id": "c1", "phases": [{"plan": "bas", "start": "2026-01-01"}]}
        ),
        events=[],
        period_start=RUN_DATE,
    )
    return invoice
