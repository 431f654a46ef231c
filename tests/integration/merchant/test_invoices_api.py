"""`/v1/customers/{id}/invoices`, `/v1/customers/{id}/invoices/upcoming` and `/v1/invoices/{id}` over
HTTP: a customer's invoices newest first a page at a time, one invoice whole, the invoice so far."""

from __future__ import annotations

import pytest

from infra.local_run import run_billing
from tests.integration.merchant.support import call, merchant
from tests.integration.merchant.test_subscriptions_api import LAST_MONTH, THIS_MONTH, _customer

pytestmark = pytest.mark.integration


def test_a_customers_invoices_are_listed_read_and_previewed(local_env, tenant_id):
    url, shop = local_env.server.url, merchant(tenant_id)
    customer = _customer(url, shop, 7, "plus")
    other = _customer(url, shop, 8, "bas")
    run_billing(shop.tenant_id, LAST_MONTH)
    run_billing(shop.tenant_id, THIS_MONTH)
    # Newest first, one per page, each exactly once
    seen, cursor = [], None
    while True:
        page = call(
            url,
            "GET",
            f"/v1/customers/{customer}/invoices?limit=1" + (f"&cursor={cursor}" if cursor else ""),
            shop.key,
        )
        assert page.status == 200, page.body
        seen += page.body["data"]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert [i["period_start"] for i in seen] == [THIS_MONTH.isoformat(), LAST_MONTH.isoformat()]
    assert all(i["customer_id"] == customer and i["number"].startswith("NM-") for i in seen)
    assert seen[0]["page_url"].startswith(local_env.env["PAGES_BASE_URL"] + "/i/")
    # One invoice, whole
    one = call(url, "GET", f"/v1/invoices/{seen[0]['id']}", shop.key)
    assert one.status == 200 and one.body["document"]["invoice_id"] == seen[0]["id"]
    assert one.body["status"] == "open" and one.body["amount_due"] == one.body["total"] > 0
    # The invoice so far: next period's fees and this period's usage up to now, unnumbered
    upcoming = call(url, "GET", f"/v1/customers/{customer}/invoices/upcoming", shop.key)
    assert upcoming.status == 200, upcoming.body
    assert (
        upcoming.body["kind"] == "preview" and upcoming.body["number"] is None and upcoming.body["total"] > 0
    )
    # Mistakes name their field; what is not there is 404
    for path, field in (
        (f"/v1/customers/{customer}/invoices?cursor=abc", "cursor"),
        (f"/v1/customers/{customer}/invoices?limit=0", "limit"),
        ("/v1/invoices/not-an-id", "invoice_id"),
    ):
        bad = call(url, "GET", path, shop.key)
        assert bad.status == 400 and bad.body["field"] == field, (path, bad.body)
    assert call(url, "GET", "/v1/invoices/inv_" + "a" * 26, shop.key).status == 404
    assert (
        call(
            url,
            "POST",
            "/v1/customers",
            shop.key,
            {"id": "c-0009", "name": "N", "email": "n@example.se", "address": ["x"]},
            idempotency_key="n",
        ).status
        == 201
    )
    assert call(url, "GET", "/v1/customers/c-0009/invoices/upcoming", shop.key).status == 404
    assert call(url, "GET", "/v1/customers/c-0009/invoices", shop.key).body["data"] == []
    assert call(url, "GET", "/v1/customers/c-9999/invoices", shop.key).status == 404
    # The other customer's invoices are its own
    others = call(url, "GET", f"/v1/customers/{other}/invoices", shop.key).body["data"]
    assert len(others) == 2 and {i["id"] for i in others}.isdisjoint({i["id"] for i in seen})
