"""Plans as versioned documents and a price change, over HTTP on the local stack
(docs/price-changes.md): `/v1/plans...` (success, validation errors naming the field, idempotent
retries), the daily run's notices (once each, page and email with the customer's backtest), the
customer's choice through the page's token, and the effective date carried out through the
subscription use cases, with every bill issued before it unchanged."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import urllib.parse
from datetime import UTC, date, datetime

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel, PriceChangeModel
from billing.adapters.dynamo.stores import DynamoTenantDirectory
from billing.cli import main as billing_cli
from infra import demo_data
from infra.local_price_changes import run_price_changes
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, engagement_by_month, fetch
from tests.integration.merchant.support import call, customer_body, merchant

pytestmark = pytest.mark.integration

NEW_FEE = 12920  # Bas 3 GB: 119.20 kr -> 129.20 kr a month, excl. VAT


def _version_body(**extra):
    bas = next(p for p in demo_data.CATALOG["plans"] if p["code"] == "bas")
    charges = [{**c, "amount": NEW_FEE} if c["code"] == "subscription" else c for c in bas["charges"]]
    return {"effective_date": "2027-02-01", "reason": "Högre kostnader för nätet", "charges": charges} | extra


def _post_form(base_url: str, path: str, fields: dict[str, str]) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(
        "POST",
        path,
        body=urllib.parse.urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    location = response.getheader("location") or response.read().decode()
    conn.close()
    return response.status, location


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)  # 08:00 in Stockholm


def test_plans_are_listed_and_a_version_is_checked_and_scheduled_once(local_env, tenant_id, scenario_clock):
    url, shop = local_env.server.url, merchant(tenant_id)
    scenario_clock(date(2026, 12, 5))
    listed = call(url, "GET", "/v1/plans", shop.key)
    assert listed.status == 200
    assert [p["code"] for p in listed.body["data"]] == ["bas", "plus", "max"]
    missing = call(url, "GET", "/v1/plans/gold", shop.key)
    assert missing.status == 404 and missing.body["field"] == "code"
    assert missing.headers["Content-Type"] == "application/problem+json"

    path = "/v1/plans/bas/versions"
    refused = {
        "effective_date": _version_body(effective_date="2026-12-20"),  # under a month's notice
        "notice_months": _version_body(notice_months=0),
        "charges[0].amount": _version_body(
            charges=[{"code": "f", "name": "F", "model": "flat", "amount": -5}]
        ),
        "reason": {k: v for k, v in _version_body().items() if k != "reason"},
        "charges": _version_body(charges=[]),
    }
    for field, body in refused.items():
        answer = call(url, "POST", path, shop.key, body, idempotency_key=f"bad-{field}")
        assert answer.status == 400, (field, answer.body)
        named = answer.body.get("field") or answer.body["errors"][0]["field"]
        assert named == field, (field, answer.body)
    no_key = call(url, "POST", path, shop.key, _version_body())
    assert no_key.status == 400 and no_key.body["errors"][0]["field"] == "Idempotency-Key"
    assert (
        call(url, "POST", "/v1/plans/gold/versions", shop.key, _version_body(), idempotency_key="g").status
        == 404
    )

    scheduled = call(url, "POST", path, shop.key, _version_body(), idempotency_key="v2")
    assert scheduled.status == 201, scheduled.body
    assert (scheduled.body["code"], scheduled.body["effective_from"], scheduled.body["notice_months"]) == (
        "bas@v2",
        "2027-02-01",
        1,
    )
    # The same request again: the same answer, one version
    again = call(url, "POST", path, shop.key, _version_body(), idempotency_key="v2")
    assert (again.status, again.body) == (201, scheduled.body)
    other = call(url, "POST", path, shop.key, _version_body(reason="Annat"), idempotency_key="v2")
    assert other.status == 422 and other.body["field"] == "Idempotency-Key"
    # Without the key's protection a second version must still come after the first
    before = call(url, "POST", path, shop.key, _version_body(), idempotency_key="v2-again")
    assert before.status == 400 and before.body["field"] == "effective_date"
    shown = call(url, "GET", "/v1/plans/bas", shop.key).body
    assert [v["code"] for v in shown["versions"]] == ["bas", "bas@v2"]
    assert shown["current_version"] == "bas"
    assert shown["versions"][1]["reason"] == "Högre kostnader för nätet"
    assert shown["versions"][1]["uptake"]["affected"] == 0
    # A subscription named by the plan's code starts on the version on sale on its first day
    for i, start in ((1, "2026-12-05"), (2, "2027-02-15")):
        body = customer_body(i)
        assert call(url, "POST", "/v1/customers", shop.key, body, idempotency_key=f"c{i}").status == 201
        started = call(
            url,
            "POST",
            f"/v1/customers/{body['id']}/subscription",
            shop.key,
            {"plan": "bas", "start_date": start},
            idempotency_key=f"s{i}",
        )
        assert started.status == 201, started.body
        expected = "bas" if i == 1 else "bas@v2"
        assert started.body["subscription"]["phases"] == [{"plan": expected, "start": start}]


def _subscribe(url: str, shop, i: int) -> str:
    body = customer_body(i)
    assert call(url, "POST", "/v1/customers", shop.key, body, idempotency_key=f"c{i}").status == 201
    started = call(
        url,
        "POST",
        f"/v1/customers/{body['id']}/subscription",
        shop.key,
        {"plan": "bas", "start_date": "2026-11-01"},
        idempotency_key=f"s{i}",
    )
    assert started.status == 201, started.body
    return str(body["id"])


def _documents(tenant_id: str) -> dict[str, dict]:
    return {i.invoice_id: i.document for i in InvoiceModel.query(tenant_id)}


# Six billing runs and three price-change runs: minutes on a loaded two-core machine.
@pytest.mark.timeout(900)
def test_a_price_change_is_noticed_chosen_and_carried_out(local_env, tenant_id, scenario_clock, monkeypatch):
    url, shop, moto = local_env.server.url, merchant(tenant_id), local_env.moto_url
    # Months pass in this test in seconds: every function's tenant cache is as old as its bound by the
    # effective date (a version is scheduled at least a month ahead), so here it always reads afresh.
    monkeypatch.setattr(DynamoTenantDirectory, "TTL_SECONDS", 0.0)
    scenario_clock(date(2026, 11, 1))
    leaver, stayer, silent = (_subscribe(url, shop, i) for i in (1, 2, 3))
    for month in (11, 12):
        scenario_clock(date(2026, month, 1))
        run_billing(tenant_id, date(2026, month, 1))
    scenario_clock(date(2026, 12, 5))
    assert (
        call(url, "POST", "/v1/plans/bas/versions", shop.key, _version_body(), idempotency_key="v2").status
        == 201
    )

    # The next run tells all three, once each, with their own numbers
    scenario_clock(date(2026, 12, 6))
    # (The run serves every tenant's open changes: other tests' tenants may have some too.)
    first = run_price_changes(_at(date(2026, 12, 6)))
    assert first["notices_created"] >= 3 and first["notices_sent"] >= 3
    assert run_price_changes(_at(date(2026, 12, 7)))["notices_sent"] == 0
    notices = {
        i.data["customer_id"]: i
        for i in PriceChangeModel.query(tenant_id, PriceChangeModel.item_key.startswith("notice#"))
    }
    assert set(notices) == {leaver, stayer, silent}
    for item in notices.values():
        assert item.state == "sent" and item.data["periods"] == 2
        assert item.data["new"] > item.data["current"]  # a consumer: 2 invoices incl. VAT, 10 kr more each
        assert 2 * 1200 <= item.data["new"] - item.data["current"] <= 2 * 1300
    mails = [
        m for m in emails_to(moto, "kund2@example.se") if "nytt pris" in json.dumps(m, ensure_ascii=False)
    ]
    assert len(mails) == 1 and notices[stayer].page_token in json.dumps(mails[0])
    status, _, page = fetch(f"{url}/i/{notices[stayer].page_token}")
    assert status == 200 and "Högre kostnader för nätet" in page and 'data-testid="per-year"' in page

    # Choices through the page's token: a form, 303 back to the page; the same choice twice is one
    token = notices[leaver].page_token
    assert _post_form(url, f"/v1/pages/{token}/price-change", {"choice": "maybe"})[0] == 400
    assert _post_form(url, "/v1/pages/" + "x" * 32 + "/price-change", {"choice": "leave"})[0] == 404
    for _ in range(2):
        status, location = _post_form(url, f"/v1/pages/{token}/price-change", {"choice": "leave"})
        assert status == 303 and location.endswith(f"/i/{token}#block-choices")
    assert 'data-choice="leave"' in fetch(f"{url}/i/{token}")[2]
    token = notices[stayer].page_token
    assert _post_form(url, f"/v1/pages/{token}/price-change", {"choice": "accept"})[0] == 303

    # January is billed at the old price
    scenario_clock(date(2027, 1, 1))
    run_billing(tenant_id, date(2027, 1, 1))
    # The effective date: the run bills February first (at the old price, in advance), then the
    # price-change run carries the choices out
    scenario_clock(date(2027, 2, 1))
    run_billing(tenant_id, date(2027, 2, 1))
    issued = _documents(tenant_id)
    done = run_price_changes(_at(date(2027, 2, 1)))
    assert done["carried_out"] >= 3
    outcomes = {
        i.data["customer_id"]: i.outcome
        for i in PriceChangeModel.query(tenant_id, PriceChangeModel.item_key.startswith("notice#"))
    }
    assert outcomes == {leaver: "left", stayer: "moved", silent: "moved"}
    after = _documents(tenant_id)
    assert {k: after[k] for k in issued} == issued
    subscriptions = {i.customer_id: i.subscription for i in CustomerModel.query(tenant_id)}
    assert subscriptions[leaver]["end_date"] == "2027-02-01"
    for customer in (stayer, silent):
        assert subscriptions[customer]["phases"][-1] == {"plan": "bas@v2", "start": "2027-02-01"}
    changes = [d for k, d in after.items() if k not in issued]
    assert {d["customer_id"] for d in changes} == {stayer, silent}
    assert all(d["kind"] == "plan_change" for d in changes)
    # The choice is closed now
    assert (
        _post_form(url, f"/v1/pages/{notices[silent].page_token}/price-change", {"choice": "leave"})[0] == 409
    )

    # March: the new price on the period invoice
    scenario_clock(date(2027, 3, 1))
    run_billing(tenant_id, date(2027, 3, 1))
    march = [d for k, d in _documents(tenant_id).items() if k not in after and d["customer_id"] == stayer]
    assert [line["amount"] for line in march[0]["lines"] if line.get("charge_code") == "subscription"] == [
        NEW_FEE
    ]

    # The merchant sees the uptake, over the API and in the CLI
    uptake = call(url, "GET", "/v1/plans/bas", shop.key).body["versions"][1]["uptake"]
    assert uptake == {
        "affected": 3,
        "notices_sent": 3,
        "accepted": 1,
        "switched": 0,
        "left": 1,
        "no_choice": 1,
        "carried_out": 3,
    }
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert billing_cli(["catalog", "uptake", "--tenant", tenant_id, "bas"]) == 0
    assert "bas@v2" in out.getvalue() and json.dumps(uptake)  # printed as a table
    # And `billing report engagement` shows the notices in the month the change was scheduled and the
    # choices in the month they were made (all December here)
    report = engagement_by_month(tenant_id)
    assert report["price-change notices sent"]["2026-12"] == 3
    assert report["price changes accepted"]["2026-12"] == 1
    assert report["left on a notice"]["2026-12"] == 1
    assert sum(report["switched plan on a notice"].values()) == 0
