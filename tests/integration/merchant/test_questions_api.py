"""`/v1/invoices/{id}/questions` over HTTP: the questions a customer asked on the page, listed and
answered through the one question-answer use case (stored, on the page, e-mailed, audited)."""

from __future__ import annotations

import pytest

from billing.wiring.core import audit_trail, invoice_ledger
from infra.local_run import run_billing
from tests.integration.merchant.support import call, merchant
from tests.integration.merchant.test_subscriptions_api import LAST_MONTH, _customer
from tests.integration.test_invoice_page_api import _post

pytestmark = pytest.mark.integration


def test_a_customers_question_is_listed_and_answered_on_the_page(local_env, tenant_id):
    url, shop = local_env.server.url, merchant(tenant_id)
    customer = _customer(url, shop, 1, "bas")
    run_billing(shop.tenant_id, LAST_MONTH)
    (invoice,) = call(url, "GET", f"/v1/customers/{customer}/invoices", shop.key).body["data"]
    token = invoice["page_url"].rsplit("/", 1)[1]
    # Given the customer asks on the page
    status, _, _ = _post(f"{url}/v1/pages/{token}/questions", {"text": "Varför så dyrt?", "line_id": ""})
    assert status == 303
    listed = call(url, "GET", f"/v1/invoices/{invoice['id']}/questions", shop.key)
    assert listed.status == 200 and listed.body["invoice_open_questions"] is True
    (question,) = listed.body["data"]
    assert question["open"] and question["text"] == "Varför så dyrt?"
    path = f"/v1/invoices/{invoice['id']}/questions/{question['question_id']}/answer"
    # Mistakes name their field, and answer nothing
    assert call(url, "POST", path, shop.key, {"text": " "}, idempotency_key="blank").body["field"] == "text"
    missing = call(
        url,
        "POST",
        path.replace(question["question_id"], "q-nope"),
        shop.key,
        {"text": "x"},
        idempotency_key="nope",
    )
    assert missing.status == 404 and missing.body["field"] == "question_id"
    # When the merchant answers
    answered = call(
        url, "POST", path, shop.key, {"text": "Surfen i oktober var utomlands."}, idempotency_key="a"
    )
    assert answered.status == 200, answered.body
    assert answered.body["invoice_open_questions"] is False and answered.body["data"][0]["answer"]
    assert (
        call(
            url, "POST", path, shop.key, {"text": "Surfen i oktober var utomlands."}, idempotency_key="a"
        ).body
        == answered.body
    )
    # Then the page shows it and the audit trail names the key that answered
    stored = invoice_ledger().get(shop.tenant_id, invoice["id"])
    page = local_env.client("s3").get_object(
        Bucket=local_env.env["PAGES_BUCKET"], Key=f"i/{stored.page_token}"
    )
    assert "Surfen i oktober var utomlands." in page["Body"].read().decode()
    actors = [(e.action, e.actor_id) for e in audit_trail().events(shop.tenant_id, invoice["id"])]
    assert any(a == "question_answered" and (who or "").startswith("api key ") for a, who in actors), actors
    # Another tenant reaches none of it
    other = merchant(tenant_id + "-b")
    assert call(url, "GET", f"/v1/invoices/{invoice['id']}/questions", other.key).status == 404
    assert call(url, "POST", path, other.key, {"text": "x"}, idempotency_key="a").status == 404
