"""`/v1/customers` over HTTP through the local HTTP API: success, validation errors naming the field,
idempotent retries (same key, same answer, one effect), pagination, keys and scopes."""

from __future__ import annotations

import contextlib
import io

import pytest

from billing.adapters.dynamo.models import CustomerModel
from billing.cli import main as billing_cli
from tests.integration.merchant.support import call, create_key, customer_body, merchant

pytestmark = pytest.mark.integration


@pytest.fixture
def shop(local_env, tenant_id):
    return merchant(tenant_id)


def test_a_customer_is_created_read_and_listed(local_env, shop):
    url = local_env.server.url
    # When the merchant creates a customer
    created = call(url, "POST", "/v1/customers", shop.key, customer_body(1), idempotency_key="k1")
    # Then it is answered 201 with the customer, its personnummer checked, normalised and masked
    assert created.status == 201, created.body
    assert created.body["id"] == "c-0001" and created.body["personal_number"] == "19811218-****"
    assert created.body["has_subscription"] is False
    # And it can be read back, and is listed
    got = call(url, "GET", "/v1/customers/c-0001", shop.key)
    assert got.status == 200 and got.body == created.body
    listed = call(url, "GET", "/v1/customers", shop.key)
    assert [c["id"] for c in listed.body["data"]] == ["c-0001"] and listed.body["next_cursor"] is None
    # And what is stored is what the billing run reads: the full personnummer beside, never in, the profile
    item = CustomerModel.get(shop.tenant_id, "c-0001")
    assert item.personal_number == "198112189876" and "198112189876" not in str(item.profile)
    assert item.subscription is None and item.next_invoice_date is None  # in no due index yet


def test_a_business_customer_with_org_and_vat_numbers(local_env, shop):
    body = customer_body(
        2,
        personal_number=None,
        is_business=True,
        org_number="5567037485",
        vat_number="se556703748501",
        language="en",
    )
    created = call(local_env.server.url, "POST", "/v1/customers", shop.key, body, idempotency_key="b")
    assert created.status == 201, created.body
    assert (created.body["org_number"], created.body["vat_number"]) == ("556703-7485", "SE556703748501")


def test_without_an_id_the_customer_gets_one(local_env, shop):
    body = customer_body(3)
    del body["id"]
    created = call(local_env.server.url, "POST", "/v1/customers", shop.key, body, idempotency_key="n")
    assert created.status == 201 and created.body["id"].startswith("cus_")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"personal_number": "19811218-9875"}, "personal_number"),  # wrong check digit
        ({"personal_number": "811218-9876"}, "personal_number"),  # 10 digits: century unknown
        ({"is_business": True, "org_number": "556703-7484"}, "org_number"),
        ({"org_number": "556703-7485", "personal_number": None}, "org_number"),  # not a business
        ({"vat_number": "SE123"}, "vat_number"),
        ({"country": "NO", "vat_number": "SE556703748501", "personal_number": None}, "vat_number"),
        ({"email": "kund.example.se"}, "email"),
        ({"language": "de"}, "language"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"address": []}, "address"),
        ({"address": ["ok", ""]}, "address.1"),
        ({"name": ""}, "name"),
        ({"id": "has space"}, "id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_details_are_refused_naming_the_field_and_nothing_is_stored(local_env, shop, change, field):
    answer = call(
        local_env.server.url,
        "POST",
        "/v1/customers",
        shop.key,
        customer_body(9, **change),
        idempotency_key=f"bad-{field}",
    )
    assert answer.status == 400, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.body["field"] == field and answer.body["type"] == "urn:billing:problem:validation"
    assert answer.body["status"] == 400 and answer.body["instance"] == "/v1/customers"
    assert call(local_env.server.url, "GET", "/v1/customers", shop.key).body["data"] == []


@pytest.mark.parametrize(
    ("raw", "field"), [(b"{not json", "body"), (b"[]", "body"), (b"", "body"), (b'"x"', "body")]
)
def test_a_body_that_is_not_a_customer_object_is_refused(local_env, shop, raw, field):
    answer = call(local_env.server.url, "POST", "/v1/customers", shop.key, raw=raw, idempotency_key="raw")
    assert answer.status == 400 and answer.body["field"] == field, answer.body


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_one_effect(local_env, shop):
    url = local_env.server.url
    body = customer_body(4)
    del body["id"]  # a generated id shows a second effect at once: it would differ
    first = call(url, "POST", "/v1/customers", shop.key, body, idempotency_key="same")
    again = call(url, "POST", "/v1/customers", shop.key, body, idempotency_key="same")
    assert first.status == again.status == 201 and first.body == again.body
    assert len(call(url, "GET", "/v1/customers", shop.key).body["data"]) == 1
    # The same key with another body is refused, naming the header
    other = call(url, "POST", "/v1/customers", shop.key, body | {"name": "Annan"}, idempotency_key="same")
    assert other.status == 422 and other.body["field"] == "Idempotency-Key"
    # Another key with the same explicit id is a conflict on the id, not a second customer
    call(url, "POST", "/v1/customers", shop.key, customer_body(5), idempotency_key="a")
    dup = call(url, "POST", "/v1/customers", shop.key, customer_body(5), idempotency_key="b")
    assert dup.status == 409 and dup.body["field"] == "id"
    # A key belongs to its tenant: another tenant using the same Idempotency-Key gets its own effect


def test_every_post_needs_an_idempotency_key(local_env, shop):
    url = local_env.server.url
    for path in ("/v1/customers", "/v1/customers/c-0001"):
        answer = call(url, "POST", path, shop.key, customer_body(1))
        assert answer.status == 400 and answer.body["field"] == "Idempotency-Key", (path, answer.body)


def test_an_update_changes_only_the_fields_sent_and_checks_the_whole(local_env, shop):
    url = local_env.server.url
    call(url, "POST", "/v1/customers", shop.key, customer_body(6, reference="Inköp"), idempotency_key="c")
    changed = call(
        url,
        "POST",
        "/v1/customers/c-0006",
        shop.key,
        {"email": "ny@example.se", "reference": None},
        idempotency_key="u1",
    )
    assert changed.status == 200, changed.body
    assert changed.body["email"] == "ny@example.se" and changed.body["reference"] is None
    assert changed.body["name"] == "Kund 6" and changed.body["personal_number"] == "19811218-****"
    retried = call(
        url,
        "POST",
        "/v1/customers/c-0006",
        shop.key,
        {"email": "ny@example.se", "reference": None},
        idempotency_key="u1",
    )
    assert retried.body == changed.body
    # An org number on a private customer fails the whole check, naming the field; nothing changes
    refused = call(
        url, "POST", "/v1/customers/c-0006", shop.key, {"org_number": "556703-7485"}, idempotency_key="u2"
    )
    assert refused.status == 400 and refused.body["field"] == "org_number"
    assert call(url, "GET", "/v1/customers/c-0006", shop.key).body == changed.body
    # Becoming a business: drop the personnummer, add the org number, in one update
    business = call(
        url,
        "POST",
        "/v1/customers/c-0006",
        shop.key,
        {"is_business": True, "personal_number": None, "org_number": "556703-7485"},
        idempotency_key="u3",
    )
    assert business.status == 200 and business.body["org_number"] == "556703-7485"
    assert CustomerModel.get(shop.tenant_id, "c-0006").personal_number is None
    missing = call(url, "POST", "/v1/customers/c-9999", shop.key, {"name": "x"}, idempotency_key="u4")
    assert missing.status == 404 and missing.body["field"] == "customer_id"
    assert call(url, "GET", "/v1/customers/c-9999", shop.key).status == 404


def test_customers_are_listed_a_page_at_a_time_each_exactly_once(local_env, shop):
    url = local_env.server.url
    for i in range(7):
        assert (
            call(
                url, "POST", "/v1/customers", shop.key, customer_body(20 + i), idempotency_key=f"p{i}"
            ).status
            == 201
        )
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = call(url, "GET", "/v1/customers" + query, shop.key)
        assert page.status == 200, page.body
        seen += [c["id"] for c in page.body["data"]]
        pages += 1
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"c-{20 + i:04d}" for i in range(7)] and pages == 3
    for query, field in (
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=x", "limit"),
        ("?cursor=!!!", "cursor"),
    ):
        bad = call(url, "GET", "/v1/customers" + query, shop.key)
        assert bad.status == 400 and bad.body["field"] == field, (query, bad.body)


def test_keys_missing_unknown_revoked_or_usage_only_reach_nothing(local_env, shop):
    url = local_env.server.url
    for key in (None, "bk_unknown", "not even bearer"):
        answer = call(url, "GET", "/v1/customers", key)
        assert answer.status == 401 and answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers.get("WWW-Authenticate") == "Bearer"
    # A usage key still writes usage but reaches no merchant route
    assert call(url, "GET", "/v1/customers", shop.usage_key).status == 403
    # (an empty batch: past the key check, refused for what it holds)
    assert call(url, "POST", "/v1/usage", shop.usage_key, {"events": []}).body["field"] == "events"
    # A full key writes usage too; an unknown one does not
    assert call(url, "POST", "/v1/usage", shop.key, {"events": []}).body["field"] == "events"
    assert call(url, "POST", "/v1/usage", "bk_unknown", {"events": []}).status == 401
    # A revoked key is refused (this key was never used, so no warm cache holds it)
    doomed = create_key(shop.tenant_id, "full")
    with contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(["apikey", "revoke", "--tenant", shop.tenant_id, doomed]) == 0
    assert call(url, "GET", "/v1/customers", doomed).status == 401


def test_the_openapi_document_is_served_without_a_key(local_env):
    answer = call(local_env.server.url, "GET", "/v1/openapi.json", None)
    assert answer.status == 200 and "/v1/customers" in answer.body["paths"]


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = billing_cli(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_cli_verbs_use_the_same_use_cases_and_checks(local_env, shop, tmp_path):
    import json

    body = tmp_path / "customer.json"
    body.write_text(json.dumps(customer_body(40)))
    code, out, _ = _cli("customer", "create", "--tenant", shop.tenant_id, str(body))
    assert code == 0 and json.loads(out)["personal_number"] == "19811218-****"
    # What the CLI created, the API reads; the same check refuses the same mistake, naming the field
    assert call(local_env.server.url, "GET", "/v1/customers/c-0040", shop.key).status == 200
    body.write_text(json.dumps(customer_body(41, personal_number="19811218-9875")))
    code, _, err = _cli("customer", "create", "--tenant", shop.tenant_id, str(body))
    assert code == 2 and err.startswith("error: personal_number:")
    code, out, _ = _cli(
        "subscription", "start", "--tenant", shop.tenant_id, "c-0040", "--plan", "bas", "--preview"
    )
    assert code == 0 and json.loads(out)["preview"] is True
    code, _, err = _cli("subscription", "get", "--tenant", shop.tenant_id, "c-0040")
    assert code == 2 and "customer_id" in err  # the preview wrote nothing
    code, out, _ = _cli("subscription", "start", "--tenant", shop.tenant_id, "c-0040", "--plan", "bas")
    assert code == 0 and json.loads(out)["subscription"]["plan"] == "bas"
    code, out, _ = _cli("customer", "list", "--tenant", shop.tenant_id)
    assert [c["id"] for c in json.loads(out)["data"]] == ["c-0040"]
    code, _, err = _cli("subscription", "change", "--tenant", shop.tenant_id, "c-0040", "--plan", "gold")
    assert code == 2 and err.startswith("error: plan:")
