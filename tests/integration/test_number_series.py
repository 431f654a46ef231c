"""A tenant numbering through three parallel series, on the local stack: each series 1..n, no gap."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from billing.adapters.dynamo.models import CounterModel, TenantModel
from billing.domain.numbering import customer_series
from billing.domain.scenario import parse_tenant_settings
from billing.wiring.core import tenant_directory
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import invoices_of

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


def test_a_run_over_three_series_numbers_each_series_1_to_n_without_gaps(local_env, tenant_id):
    # Given a tenant with twelve customers due, numbering through three series
    demo.seed(12, TODAY, tenant_id, RUN_DATE, via_api=False)
    tenant = TenantModel.get(tenant_id)
    tenant.update(actions=[TenantModel.settings.set({**tenant.settings, "invoice_series_count": 3})])
    tenant_directory()._cache.clear()  # the worker's per-instance cache of the tenant
    settings = parse_tenant_settings(TenantModel.get(tenant_id).settings)

    # When the run issues them
    started = run_billing(tenant_id, RUN_DATE)

    # Then every customer has one invoice, in its own series
    invoices = invoices_of(tenant_id)
    assert started["queued"] == 12 and len(invoices) == 12
    by_series: dict[str, list[int]] = defaultdict(list)
    for invoice in invoices:
        series = customer_series(settings, invoice.customer_id)
        assert invoice.number == f"{series.prefix}{int(invoice.sequence):06d}"
        by_series[series.prefix].append(int(invoice.sequence))
    # And each series is numbered 1..n without a gap, its counter at n
    assert len(by_series) > 1
    for prefix, sequences in by_series.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1)), prefix
        assert int(CounterModel.get(f"{tenant_id}#{prefix}", consistent_read=True).value) == len(sequences)
    # And no two invoices share an OCR reference
    assert len({i.ocr for i in invoices}) == 12
