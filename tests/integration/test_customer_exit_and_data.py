"""The honest exit and the customer's usage download on the local stack, through the local HTTP API
with the page's link as the only key."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from typing import Any

import pytest

from billing.adapters.dynamo.stores import DynamoCustomerDirectory
from billing.services.customer_data import usage_export
from billing.wiring.core import invoice_ledger
from tests.integration import test_spend_alerts
from tests.integration.helpers import emails_to, engagement_by_month, fetch, invoices_of
from tests.integration.stripe_support import request
from tests.integration.test_spend_alerts import _minutes, _post, _tenant

pytestmark = pytest.mark.integration
on_today = test_spend_alerts.on_today  # the fixture


def _page_token(tenant_id: str, customer_id: str) -> str:
    for item in invoices_of(tenant_id):
        stored = invoice_ledger().get(tenant_id, item.invoice_id)
        if stored is not None and stored.invoice.customer_id == customer_id:
            return stored.page_token
    raise AssertionError(f"no invoice for {customer_id}")


def test_the_customer_leaves_in_two_steps_and_gets_one_confirmation(local_env, tenant_id, on_today):
    # Given a customer's invoice page (billed November 1, the period runs to November 30)
    _, (customer,) = _tenant(tenant_id)
    token = _page_token(tenant_id, "c00001")
    base = local_env.server.url
    _, _, page = fetch(f"{base}/i/{token}")
    # Step one: the invoice page links the exit
    assert f'href="{base}/v1/pages/{token}/exit"' in page
    # Step two: one screen with the end date and the last invoice, computed
    status, _, exit_page = fetch(f"{base}/v1/pages/{token}/exit")
    assert status == 200
    assert "30 november 2026" in exit_page and 'data-testid="exit-last-invoice"' in exit_page
    assert exit_page.count("<form") == 1  # one button: no second screen of retention
    # When the customer presses it (a plain form post)
    status, headers, _ = request(f"{base}/v1/pages/{token}/exit", method="POST", data=b"")
    assert status == 303 and headers["Location"] == f"{base}/v1/pages/{token}/exit"
    # Then the subscription ends at the period's end, through the cancel use case
    account = DynamoCustomerDirectory().get(tenant_id, "c00001")
    assert account is not None and str(account.subscription.end_date) == "2026-12-01"
    _, _, done = fetch(f"{base}/v1/pages/{token}/exit")
    assert 'data-testid="exit-done"' in done and "30 november 2026" in done
    # And one confirmation email names the last day, however often the button is pressed
    assert request(f"{base}/v1/pages/{token}/exit", method="POST", data=b"")[0] == 303
    confirmations = [m for m in emails_to(local_env.moto_url, customer.email) if "avslutat" in m["subject"]]
    assert len(confirmations) == 1 and "30 november 2026" in confirmations[0]["body"]
    # And the invoice page no longer offers the exit
    _, _, page = fetch(f"{base}/i/{token}")
    assert "/exit" not in page
    # And a link that is no invoice's is 404
    assert fetch(f"{base}/v1/pages/{'y' * 32}/exit")[0] == 404
    # And `billing report engagement` counts one exit, in November
    exits = engagement_by_month(tenant_id)["exits (cancelled from the page)"]
    assert exits["2026-11"] == 1 and sum(exits.values()) == 1


def _download(base: str, token: str, **query: str) -> tuple[int, dict[str, str], str]:
    qs = urllib.parse.urlencode(query)
    return fetch(f"{base}/v1/pages/{token}/usage?{qs}")


def test_the_usage_download_holds_every_event_and_daily_total_of_the_customer_only(
    local_env, tenant_id, on_today, monkeypatch: Any
):
    # Given two customers with usage this month
    key, _ = _tenant(tenant_id, customers=2)
    assert (
        _post(local_env.server.url, key, {"events": _minutes("a", 25, customer="c00001")})[1]["accepted"]
        == 25
    )
    assert (
        _post(local_env.server.url, key, {"events": _minutes("b", 7, customer="c00002")})[1]["accepted"] == 7
    )
    token = _page_token(tenant_id, "c00001")
    base = local_env.server.url
    # When the first downloads November's events as CSV, ten to a page
    monkeypatch.setattr(usage_export, "PAGE_SIZE", 10)
    ids: list[str] = []
    cursor = ""
    for _ in range(5):
        status, headers, body = _download(
            base, token, month="2026-11", kind="events", format="csv", cursor=cursor
        )
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert 'filename="usage-events-2026-11.csv"' in headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(body)))
        assert list(rows[0]) == list(usage_export.EVENT_COLUMNS) if rows else True
        ids += [r["id"] for r in rows]
        cursor = headers.get("X-Next-Cursor", "")
        if not cursor:
            break
    # Then every event of theirs is there once, and none of the other customer's
    assert sorted(ids) == sorted(f"a-{i}" for i in range(25))
    # And the daily totals as JSON add up to the same
    status, _, body = _download(base, token, month="2026-11", kind="daily", format="json")
    doc = json.loads(body)
    assert status == 200 and doc["columns"] == list(usage_export.DAILY_COLUMNS)
    assert sum(int(r["events"]) for r in doc["rows"]) == 25 and doc["rows"][0]["metric"] == "intl_minutes"
    # And what cannot be answered is refused naming the parameter
    for query, field in (
        ({"month": "2026-13"}, "month"),
        ({"month": "2025-01"}, "month"),  # before the subscription started
        ({"kind": "all"}, "kind"),
        ({"format": "xml"}, "format"),
        ({"cursor": "not-a-key"}, "cursor"),
    ):
        status, _, text = _download(base, token, **query)
        assert status == 400 and text.startswith(field), (query, text)
    assert _download(base, "z" * 32)[0] == 404
