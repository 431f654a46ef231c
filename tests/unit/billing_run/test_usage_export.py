"""The customer's usage download from the invoice page (ExportUsage), against the billing run's fakes
and an in-memory usage store: a month at a time, events paged, daily totals, CSV safe in a
spreadsheet, and only the link's own customer's data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.services.customer_data import usage_export
from billing.services.customer_data.usage_export import ExportRefused, ExportUsage
from billing.services.invoice_pages import InvoiceNotFound
from tests.fakes.billing_run import FixedClock
from tests.fakes.usage_export import FakeUsageExport
from tests.unit.billing_run.test_issue_invoice import TENANT, World

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _world() -> tuple[ExportUsage, FakeUsageExport, str]:
    world = World(2)
    world.worker(world.request("c00001"))
    stored = next(s for s in world.stored() if s.invoice.customer_id == "c00001")
    usage = FakeUsageExport()
    usage.events[(TENANT, "c00001")] = [
        # 31 October 23:30 UTC is already November in Stockholm
        {"id": "e1", "metric": "sms", "timestamp": "2026-10-31T23:30:00+00:00", "value": "1"},
        {
            "id": "=HYPERLINK()",
            "metric": "sms",
            "timestamp": "2026-11-02T08:00:00+01:00",
            "value": "1",
            "properties": {"to": "+46701234567"},
        },
        {"id": "e3", "metric": "data_gb", "timestamp": "2026-11-03T10:00:00+01:00", "value": "0.25"},
        {"id": "e0", "metric": "sms", "timestamp": "2026-10-15T10:00:00+02:00", "value": "1"},  # October
    ]
    usage.events[(TENANT, "c00002")] = [
        {"id": "other", "metric": "sms", "timestamp": "2026-11-05T10:00:00+01:00", "value": "1"}
    ]
    usage.totals[(TENANT, "c00001")] = {
        (date(2026, 11, 3), "data_gb"): (Decimal("0.250"), 1),
        (date(2026, 11, 1), "sms"): (Decimal("2"), 2),
        (date(2026, 10, 15), "sms"): (Decimal("1"), 1),
    }
    export = ExportUsage(invoices=world.ledger, customers=world.customers, usage=usage, clock=FixedClock(NOW))
    return export, usage, stored.page_token


def test_a_months_events_come_in_the_customers_timezone_and_csv_cells_cannot_run_as_formulas() -> None:
    export, _, token = _world()
    download = export(token, {"month": "2026-11"})
    assert (download.content_type, download.filename) == (
        "text/csv; charset=utf-8",
        "usage-events-2026-11.csv",
    )
    lines = download.body.split("\r\n")
    assert lines[0] == "id,metric,timestamp,value,properties"
    # The Stockholm November: the event at 23:30 UTC on 31 October is in it, mid-October's is not,
    # and no other customer's event
    assert [line.split(",")[0] for line in lines[1:-1]] == ["e1", "'=HYPERLINK()", "e3"]
    assert download.next_cursor is None


def test_events_are_paged_by_cursor_in_json_and_a_forged_cursor_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export, _, token = _world()
    monkeypatch.setattr(usage_export, "PAGE_SIZE", 2)
    first = export(token, {"month": "2026-11", "format": "json"})
    body = json.loads(first.body)
    assert [row["id"] for row in body["rows"]] == ["e1", "=HYPERLINK()"] and body["next"] == first.next_cursor
    assert first.next_cursor is not None
    second = json.loads(
        export(token, {"month": "2026-11", "format": "json", "cursor": first.next_cursor}).body
    )
    assert [row["id"] for row in second["rows"]] == ["e3"] and "next" not in second
    with pytest.raises(ExportRefused) as forged:
        export(token, {"month": "2026-11", "cursor": "not a cursor"})
    assert forged.value.field == "cursor"


def test_daily_totals_are_the_months_days_and_metrics() -> None:
    export, _, token = _world()
    download = export(token, {"month": "2026-11", "kind": "daily"})
    assert download.body.split("\r\n")[1:-1] == ["2026-11-01,sms,2,2", "2026-11-03,data_gb,0.25,1"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "raw"}, "kind"),
        ({"format": "xlsx"}, "format"),
        ({"month": "2026-13"}, "month"),
        ({"month": "november"}, "month"),
        ({"month": "2026-12"}, "month"),  # after today
        ({"month": "2019-01"}, "month"),  # before the subscription started
    ],
)
def test_a_download_that_cannot_be_answered_names_the_parameter(query: dict[str, str], field: str) -> None:
    export, _, token = _world()
    with pytest.raises(ExportRefused) as refused:
        export(token, query)
    assert refused.value.field == field


def test_a_link_that_is_no_invoices_is_not_found() -> None:
    export, _, _ = _world()
    with pytest.raises(InvoiceNotFound):
        export("z" * 32, {})
