"""`/v1/customers/{id}/subscription...` over HTTP on the local stack: start, read, upgrade (a numbered
plan-change invoice with its page and email, in the series after the run's invoices), downgrade at
period end, cancel now with the unused days credited; previews write nothing; retries have one effect."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.adapters.dynamo.models import InvoiceModel
from infra.local_run import run_billing
from tests.integration.merchant.support import call, customer_body, lose_the_next_number, merchant

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Europe/Stockholm")).date()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)
NEXT_MONTH = (THIS_MONTH + timedelta(days=32)).replace(day=1)


@pytest.fixture
def shop(local_env, tenant_id):
    return merchant(tenant_id)


def _customer(url: str, shop, i: int, plan: str | None = None) -> str:
    assert (
        call(url, "POST", "/v1/customers", shop.key, customer_body(i), idempotency_key=f"c{i}").status == 201
    )
    if plan:
        started = call(
            url,
            "POST",
            f"/v1/customers/c-{i:04d}/subscription",
            shop.key,
            {"plan": plan, "start_date": LAST_MONTH.isoformat()},
            idempotency_key=f"s{i}",
        )
        assert started.status == 201, started.body
    return f"c-{i:04d}"


def _invoices(tenant_id: str) -> list[InvoiceModel]:
    return sorted(InvoiceModel.query(tenant_id), key=lambda i: i.sequence)


def _billed_twice(url: str, shop, i: int, plan: str) -> str:
    """A customer on `plan` since last month, billed by last month's run and this month's."""
    customer = _customer(url, shop, i, plan)
    run_billing(shop.tenant_id, LAST_MONTH)
    run_billing(shop.tenant_id, THIS_MONTH)
    return customer


def _upgrade(url: str, shop, customer: str):
    return call(
        url,
        "POST",
        f"/v1/customers/{customer}/subscription/change",
        shop.key,
        {"plan": "plus"},
        idempotency_key="u",
    )


def test_a_subscription_starts_is_read_and_billed_by_the_run(local_env, shop):
    url = local_env.server.url
    customer = _customer(url, shop, 1)
    path = f"/v1/customers/{customer}/subscription"
    assert call(url, "GET", path, shop.key).status == 404
    body = {"plan": "bas", "start_date": THIS_MONTH.isoformat()}
    # A preview shows the first invoice's fee and writes nothing
    preview = call(url, "POST", path + "?preview=true", shop.key, body, idempotency_key="p")
    assert preview.status == 200 and preview.body["preview"] is True
    assert preview.body["next_invoice"]["number"] is None and preview.body["next_invoice"]["total"] > 0
    assert call(url, "GET", path, shop.key).status == 404
    started = call(url, "POST", path, shop.key, body, idempotency_key="s")
    assert started.status == 201 and started.body["subscription"]["plan"] == "bas"
    assert call(url, "POST", path, shop.key, body, idempotency_key="s").body == started.body  # a retry
    again = call(url, "POST", path, shop.key, body, idempotency_key="s2")
    assert again.status == 409 and again.body["field"] == "customer_id"
    got = call(url, "GET", path, shop.key)
    assert got.status == 200 and got.body["next_invoice_date"] == THIS_MONTH.isoformat()
    # The run bills it like any customer
    run_billing(shop.tenant_id, THIS_MONTH)
    assert [i.customer_id for i in _invoices(shop.tenant_id)] == [customer]
    assert call(url, "GET", f"/v1/customers/{customer}", shop.key).body["has_subscription"] is True


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"plan": "gold"}, "plan", 400),
        ({"plan": "bas", "anchor": "weekly"}, "anchor", 400),
        ({"plan": "bas", "start_date": "2026-02-30"}, "start_date", 400),
        ({"plan": "bas", "start_date": "2019-01-01"}, "start_date", 400),
        ({"plan": "bas", "start_date": "2019-01-01", "billing_from": "2018-12-01"}, "billing_from", 400),
        ({"plan": "bas", "start_date": "2039-01-01"}, "start_date", 400),
        ({"plan": "bas", "anchor_date": "2026-01-05"}, "anchor_date", 400),
        ({"plan": "bas", "coupons": [{"code": "X", "kind": "bogus"}]}, "coupons[0].kind", 400),
        ({}, "plan", 400),
    ],
)
def test_a_start_is_checked_naming_the_field(local_env, shop, body, field, status):
    customer = _customer(local_env.server.url, shop, 2)
    answer = call(
        local_env.server.url,
        "POST",
        f"/v1/customers/{customer}/subscription",
        shop.key,
        body,
        idempotency_key="x",
    )
    assert (answer.status, answer.body["field"]) == (status, field), answer.body


def test_an_upgrade_is_invoiced_now_prorated_with_its_page_and_a_downgrade_waits(local_env, shop):
    url = local_env.server.url
    customer = _billed_twice(url, shop, 3, "bas")
    billed = _invoices(shop.tenant_id)
    assert len(billed) == 2
    change = f"/v1/customers/{customer}/subscription/change"
    # The preview says what would be invoiced and writes nothing
    preview = call(url, "POST", change + "?preview=true", shop.key, {"plan": "plus"}, idempotency_key="p")
    assert preview.status == 200, preview.body
    assert preview.body["immediate"] is True and preview.body["effective_date"] == TODAY.isoformat()
    assert preview.body["invoice"]["number"] is None
    assert len(_invoices(shop.tenant_id)) == 2
    assert call(url, "GET", f"/v1/customers/{customer}/subscription", shop.key).body["plan"] == "bas"
    # The upgrade: a plan-change invoice, numbered after the run's, with the credit and the charge
    upgraded = call(url, "POST", change, shop.key, {"plan": "plus"}, idempotency_key="u")
    assert upgraded.status == 200, upgraded.body
    invoice = upgraded.body["invoice"]
    assert invoice["kind"] == "plan_change" and invoice["number"] == "NM-000003"
    assert invoice["amount_due"] == preview.body["invoice"]["amount_due"] == upgraded.body["due_now"]
    amounts = [line["amount"] for line in invoice["document"]["lines"]]
    days_left = (NEXT_MONTH - TODAY).days
    if days_left:
        assert any(a < 0 for a in amounts) and any(a > 0 for a in amounts)
    # Its page is published and its email sent, like a run's invoice
    stored = InvoiceModel.get(shop.tenant_id, invoice["id"])
    assert stored.email_status == "sent" and stored.page_published_at is not None
    page = local_env.client("s3").get_object(
        Bucket=local_env.env["PAGES_BUCKET"], Key=f"i/{stored.page_token}"
    )
    assert "NM-000003" in page["Body"].read().decode()
    # A retry, with the same key or another, is the same change: one invoice
    assert call(url, "POST", change, shop.key, {"plan": "plus"}, idempotency_key="u").body == upgraded.body
    other_key = call(url, "POST", change, shop.key, {"plan": "plus"}, idempotency_key="u-again")
    assert other_key.status == 200 and other_key.body["invoice"]["id"] == invoice["id"]
    assert len(_invoices(shop.tenant_id)) == 3
    sub = call(url, "GET", f"/v1/customers/{customer}/subscription", shop.key).body
    assert sub["plan"] == "plus" and sub["phases"][-1] == {"plan": "plus", "start": TODAY.isoformat()}
    # Ending today, the day of the upgrade, would credit the old plan's days twice: refused
    cancel = call(
        url,
        "POST",
        f"/v1/customers/{customer}/subscription/cancel",
        shop.key,
        {"at": "now"},
        idempotency_key="cancel-today",
    )
    assert cancel.status == 409 and cancel.body["field"] == "at"
    # A downgrade waits for the period's end and costs nothing now
    down = call(url, "POST", change, shop.key, {"plan": "bas"}, idempotency_key="d")
    assert down.status == 200, down.body
    assert down.body["immediate"] is False and down.body["due_now"] == 0 and down.body["invoice"] is None
    assert down.body["effective_date"] == NEXT_MONTH.isoformat()
    sub = call(url, "GET", f"/v1/customers/{customer}/subscription", shop.key).body
    assert sub["plan"] == "plus" and sub["phases"][-1] == {"plan": "bas", "start": NEXT_MONTH.isoformat()}
    assert len(_invoices(shop.tenant_id)) == 3
    # Asking for the plan the customer is on drops the scheduled downgrade (and is then, again, the
    # answer to today's upgrade)
    stay = call(url, "POST", change, shop.key, {"plan": "plus"}, idempotency_key="stay")
    assert stay.status == 200 and stay.body["subscription"]["phases"][-1]["plan"] == "plus"
    assert stay.body["invoice"] is None and len(_invoices(shop.tenant_id)) == 3
    for body, field in (({"plan": "gold"}, "plan"), ({"plan": 3}, "plan"), ({"plan": ""}, "plan")):
        bad = call(url, "POST", change, shop.key, body, idempotency_key=f"bad-{body['plan']}")
        assert bad.status == 400 and bad.body["field"] == field, bad.body


def test_cancel_now_credits_the_unused_days_on_the_next_invoice(local_env, shop):
    url = local_env.server.url
    customer = _billed_twice(url, shop, 4, "plus")
    cancel = f"/v1/customers/{customer}/subscription/cancel"
    preview = call(url, "POST", cancel + "?preview=true", shop.key, {"at": "now"}, idempotency_key="p")
    assert preview.status == 200 and preview.body["subscription"]["end_date"] == TODAY.isoformat()
    assert call(url, "GET", f"/v1/customers/{customer}/subscription", shop.key).body["end_date"] is None
    done = call(url, "POST", cancel, shop.key, {"at": "now"}, idempotency_key="c")
    assert done.status == 200, done.body
    assert done.body["effective_date"] == TODAY.isoformat() and done.body["immediate"] is True
    if TODAY != THIS_MONTH:  # from the 2nd on, days of the billed month are left to credit
        credit = [line for line in done.body["next_invoice"]["document"]["lines"] if line["amount"] < 0]
        assert credit and credit[0]["period"]["start"] == TODAY.isoformat()
    assert (
        call(url, "POST", cancel, shop.key, {"at": "now"}, idempotency_key="c").body == done.body
    )  # a retry
    again = call(url, "POST", cancel, shop.key, {"at": "period_end"}, idempotency_key="c2")
    assert again.status == 409
    # The next run bills the credit (and the usage up to today)
    run_billing(shop.tenant_id, NEXT_MONTH)
    last = _invoices(shop.tenant_id)[-1]
    assert last.period_start == NEXT_MONTH.isoformat() or last.document["kind"] == "period"


def test_cancel_at_period_end_and_requests_for_what_is_not_there(local_env, shop):
    url = local_env.server.url
    customer = _customer(url, shop, 5, "bas")
    done = call(
        url,
        "POST",
        f"/v1/customers/{customer}/subscription/cancel",
        shop.key,
        {"at": "period_end"},
        idempotency_key="c",
    )
    assert done.status == 200 and done.body["effective_date"] == NEXT_MONTH.isoformat()
    assert done.body["subscription"]["cancelled_on"] == TODAY.isoformat()
    bare = _customer(url, shop, 6)
    for method, suffix, body in (
        ("GET", "", None),
        ("POST", "/change", {"plan": "plus"}),
        ("POST", "/cancel", {"at": "now"}),
    ):
        for who in (bare, "c-9999"):
            answer = call(
                url,
                method,
                f"/v1/customers/{who}/subscription{suffix}",
                shop.key,
                body,
                idempotency_key=f"{who}{suffix}" if method == "POST" else None,
            )
            assert answer.status == 404 and answer.body["field"] == "customer_id", (who, suffix, answer.body)


def test_an_upgrade_that_loses_the_race_for_its_number_takes_the_next(local_env, shop, monkeypatch):
    # Given a customer billed by two runs, and another invoice taking the next number just after the
    # upgrade reads the counter (a one-off invoice at the same moment)
    url = local_env.server.url
    customer = _billed_twice(url, shop, 5, "bas")
    raced = lose_the_next_number(monkeypatch)
    # When the upgrade is made
    upgraded = _upgrade(url, shop, customer)
    # Then it lost the number once, read again and took the next: not a conflict with the subscription
    assert raced and upgraded.status == 200, upgraded.body
    assert upgraded.body["invoice"]["number"] == "NM-000004"
    assert call(url, "GET", f"/v1/customers/{customer}/subscription", shop.key).body["plan"] == "plus"


def test_an_upgrade_whose_subscription_changed_meanwhile_is_a_conflict(local_env, shop, monkeypatch):
    # Given a customer billed by two runs, whose subscription another request changes just after the
    # upgrade has read it
    from billing.adapters.dynamo.models import CounterModel, CustomerModel

    url = local_env.server.url
    customer = _billed_twice(url, shop, 6, "bas")
    read = CounterModel.get

    def read_after_a_change(counter_id: str, *args, **kwargs):
        CustomerModel(shop.tenant_id, customer).update(actions=[CustomerModel.subscription_version.add(1)])
        return read(counter_id, *args, **kwargs)

    monkeypatch.setattr(CounterModel, "get", read_after_a_change)
    # When the upgrade is made
    upgraded = _upgrade(url, shop, customer)
    # Then it is a conflict to read again, not a race retried until it gives up; nothing was issued
    assert upgraded.status == 409, upgraded.body
    assert len(_invoices(shop.tenant_id)) == 2
