"""The merchant API under attack, in-process (the handler called with the HTTP API 2.0 events API
Gateway sends; the same code path as over a socket, many times faster):

- cross-tenant: every route with the other tenant's ids, cursors, Idempotency-Keys and keys reaches
  nothing of the other tenant's (0 successes), and the other tenant's records are unchanged;
- 2,000 mutated bodies and queries over every route: never a 5xx.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from infra import demo_data
from infra.local_run import run_billing
from tests.integration.merchant.support import Merchant, customer_body, invoke, merchant

pytestmark = pytest.mark.integration

TODAY = datetime.now(ZoneInfo("Europe/Stockholm")).date()

ROUTES = [
    ("POST", "/v1/customers"),
    ("GET", "/v1/customers"),
    ("GET", "/v1/customers/{customer_id}"),
    ("POST", "/v1/customers/{customer_id}"),
    ("POST", "/v1/customers/{customer_id}/subscription"),
    ("GET", "/v1/customers/{customer_id}/subscription"),
    ("POST", "/v1/customers/{customer_id}/subscription/change"),
    ("POST", "/v1/customers/{customer_id}/subscription/cancel"),
    ("GET", "/v1/customers/{customer_id}/invoices"),
    ("GET", "/v1/customers/{customer_id}/invoices/upcoming"),
    ("GET", "/v1/invoices/{invoice_id}"),
    ("GET", "/v1/invoices/{invoice_id}/questions"),
    ("POST", "/v1/invoices/{invoice_id}/questions/{question_id}/answer"),
]
# The catalog's routes (docs/price-changes.md): {code} names a plan of the victim's own catalog.
PLAN_ROUTES = [("GET", "/v1/plans"), ("GET", "/v1/plans/{code}"), ("POST", "/v1/plans/{code}/versions")]
ROUTES += PLAN_ROUTES
# A valid body per POST route: what an attacker sends with the victim's ids, and what mutations start from
BODIES: dict[str, dict[str, Any]] = {
    "/v1/customers/{customer_id}": {"email": "intruder@example.se"},
    "/v1/customers/{customer_id}/subscription": {"plan": "plus"},
    "/v1/customers/{customer_id}/subscription/change": {"plan": "max"},
    "/v1/customers/{customer_id}/subscription/cancel": {"at": "now"},
    "/v1/invoices/{invoice_id}/questions/{question_id}/answer": {"text": "Svar"},
    "/v1/plans/{code}/versions": {
        "effective_date": "2030-01-01",
        "reason": "Intrång",
        "charges": [{"code": "fee", "name": "Fee", "model": "flat", "amount": 1}],
    },
}


def _marker_plan(shop: Merchant, marker: str) -> str:
    """A plan only this tenant has, named with its marker: what a leak of it would show."""
    from billing.adapters.dynamo.stores import DynamoTenantDirectory

    code = f"{marker.lower()}-plan"
    plan = {**demo_data.CATALOG["plans"][0], "code": code, "name": f"{marker} plan"}
    catalog = {**demo_data.CATALOG, "plans": [*demo_data.CATALOG["plans"], plan]}
    DynamoTenantDirectory.put(
        shop.tenant_id, demo_data.tenant_settings(shop.tenant_id), catalog, demo_data.PAGE_SETTINGS
    )
    return code


def _seed(shop: Merchant, marker: str, n: int = 4) -> list[str]:
    ids = []
    for i in range(n):
        # Ids differ per tenant: an attacker's own customer under the same id would be its own business
        body = customer_body(
            i, id=f"{marker.lower()}-{i}", name=f"{marker} {i}", email=f"{marker.lower()}{i}@example.se"
        )
        answer = invoke(
            "POST",
            "/v1/customers",
            "/v1/customers",
            shop.key,
            json.dumps(body).encode(),
            idempotency_key=f"seed-{i}",
        )
        assert answer["statusCode"] == 201, answer
        ids.append(body["id"])
        if i % 2 == 0:  # half of them subscribed: change and cancel have something to reach
            route = "/v1/customers/{customer_id}/subscription"
            started = _call("POST", route, shop.key, body["id"], {"plan": "bas"}, idempotency_key=f"sub-{i}")
            assert started["statusCode"] == 201, started
    return ids


def _snapshot(tenant_id: str) -> dict[str, Any]:
    return {i.customer_id: i.serialize() for i in CustomerModel.query(tenant_id)}


def _route_path(route: str, some_id: str) -> tuple[str, dict[str, str]]:
    """The path and path parameters of `route` for one id: a customer's, or under /v1/invoices an
    invoice's (with question q-1 where the route names a question)."""
    name = "invoice_id" if "{invoice_id}" in route else "code" if "{code}" in route else "customer_id"
    params = {name: some_id} if "{" + name + "}" in route else {}
    if "{question_id}" in route:
        params["question_id"] = "q-1"
    path = route
    for key, value in params.items():
        path = path.replace("{" + key + "}", value)
    return path, params


def _call(
    method: str,
    route: str,
    key: str,
    customer_id: str,
    body: dict[str, Any] | None,
    query: str = "",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    path, params = _route_path(route, customer_id)
    raw = json.dumps(body).encode() if body is not None else b""
    return invoke(
        method,
        route,
        path,
        key,
        raw,
        params,
        query=query,
        idempotency_key=idempotency_key or f"x-{random.random()}",
    )


def test_no_route_reaches_the_other_tenants_data(local_env):
    rng = random.Random(15)
    a, b = (
        merchant("t-fuzz-a-" + hex(rng.getrandbits(24))[2:]),
        merchant("t-fuzz-b-" + hex(rng.getrandbits(24))[2:]),
    )
    ids = {a.tenant_id: _seed(a, "Alfa"), b.tenant_id: _seed(b, "Beta")}
    plans = {a.tenant_id: _marker_plan(a, "Alfa"), b.tenant_id: _marker_plan(b, "Beta")}
    # Each tenant's subscribed customers get their first invoice: ids for /v1/invoices/{invoice_id}
    invoice_ids = {}
    for shop in (a, b):
        run_billing(shop.tenant_id, TODAY)
        invoice_ids[shop.tenant_id] = [i.invoice_id for i in InvoiceModel.query(shop.tenant_id)]
        assert invoice_ids[shop.tenant_id]
    markers = {a.tenant_id: "Alfa", b.tenant_id: "Beta"}
    # A cursor of each tenant's listing: the other tenant will replay it
    cursors = {}
    for shop in (a, b):
        page = json.loads(
            invoke("GET", "/v1/customers", "/v1/customers", shop.key, b"", query="limit=2")["body"]
        )
        cursors[shop.tenant_id] = page["next_cursor"]
    before = {t: _snapshot(t) for t in ids}
    successes, calls = [], 0
    own: set[tuple[str, str]] = set()
    tried: list[tuple[str, str]] = []
    for _ in range(400):
        attacker, victim = rng.choice([(a, b), (b, a)])
        key = rng.choice([attacker.key, attacker.usage_key, victim.usage_key])
        method, route = rng.choice(ROUTES)
        victim_id = rng.choice(ids[victim.tenant_id])
        if route.startswith("/v1/invoices/"):
            victim_id = rng.choice(invoice_ids[victim.tenant_id])
        if route.startswith("/v1/plans/"):
            victim_id = plans[victim.tenant_id]
        body: dict[str, Any] | None = None
        query = ""
        idem = rng.choice([None, "seed-0", "seed-1"])  # the victim's own Idempotency-Keys
        if route == "/v1/customers" and method == "POST":
            body = customer_body(0, id=victim_id, name="Intruder", email="intruder@example.se")
        elif method == "POST":
            body = BODIES[route]
        elif route == "/v1/customers":
            query = f"cursor={cursors[victim.tenant_id]}&limit=100"
        answer = _call(method, route, key, victim_id, body, query, idem)
        calls += 1
        tried.append((method, route))
        text = answer.get("body") or ""
        # The victim's names and emails (its ids the attacker sent, and may see echoed in an error)
        marker = markers[victim.tenant_id]
        if f"{marker} " in text or re.search(rf"{marker.lower()}[0-9]+@", text):
            successes.append((method, route, answer["statusCode"], text[:200]))
        if route == "/v1/customers" and method == "POST" and answer["statusCode"] == 201:
            own.add((attacker.tenant_id, victim_id))  # the attacker's own customer now, in its tenant
        elif (
            "{" in route  # a route naming one of the victim's things by id
            and answer["statusCode"] < 300
            and (attacker.tenant_id, victim_id) not in own
        ):
            successes.append((method, route, answer["statusCode"], text[:200]))
    assert calls == 400 and successes == []
    # Every route was tried
    print("cross-tenant calls per route:", {r: tried.count(r) for r in set(tried)})
    assert set(tried) == set(ROUTES)
    # And nothing of either tenant's existing customers changed (new ones in the attacker's own
    # tenant, under the victim's ids, are the attacker's business)
    for tenant_id, snapshot in before.items():
        after = _snapshot(tenant_id)
        assert {k: after[k] for k in snapshot} == snapshot


# --------------------------------------------------------------------------------------- mutations

JUNK: list[Any] = [
    "bas",
    "plus",
    "max",
    "now",
    "period_end",
    "anniversary",
    "2026-12-01",
    [{"code": "X", "kind": "percentage", "percent": "10"}],
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**400,
    1.5,
    float("1e308"),
    "",
    " ",
    "x" * 10_000,
    "ä" * 300,
    "\x00",
    "\u202e",
    "😀" * 50,
    "19811218-9876",
    "556703-7485",
    "SE556703748501",
    "../../etc/passwd",
    "<script>",
    [],
    [None],
    ["a"] * 50,
    {},
    {"a": {"b": []}},
    "Europe/Stockholm",
    "sv",
    "2026-13-45",
]
FIELDS = [
    "effective_date",
    "reason",
    "charges",
    "notice_months",
    "id",
    "name",
    "email",
    "address",
    "country",
    "language",
    "timezone",
    "is_business",
    "org_number",
    "personal_number",
    "vat_number",
    "reference",
]


def _mutated_body(rng: random.Random, base: dict[str, Any]) -> bytes:
    choice = rng.random()
    if choice < 0.05:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if choice < 0.08:
        return ("[" * rng.randint(100, 5000)).encode()  # deep nesting
    if choice < 0.11:
        return json.dumps(base).encode()[: rng.randint(0, 60)]  # truncated
    if choice < 0.14:
        return json.dumps(rng.choice(JUNK)).encode()  # not an object
    body = dict(base)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        name = rng.choice([*FIELDS, "extra", "__proto__", "tenant_id"])
        if op < 0.2:
            body.pop(name, None)
        elif op < 0.9:
            body[name] = rng.choice(JUNK)
        else:
            body[name] = {"nested": [rng.choice(JUNK)] * rng.randint(0, 5)}
    return json.dumps(body, allow_nan=True).encode()


def test_two_thousand_mutated_requests_never_get_a_5xx(local_env):
    rng = random.Random(2000)
    shop = merchant("t-mut-" + hex(rng.getrandbits(32))[2:])
    _seed(shop, "Gamma", 2)
    statuses: dict[int, int] = {}
    failures = []
    for i in range(2000):
        method, route = ROUTES[i % len(ROUTES)]
        customer_id = rng.choice(["gamma-0", "gamma-1", "nope", "x" * 70, "%00", "a/b", "inv_" + "a" * 26])
        query = rng.choice(["", "", "preview=true", "preview=maybe"])
        if method == "POST":
            raw = _mutated_body(rng, BODIES.get(route) or customer_body(1000 + i))
        else:
            raw = b""
            query = rng.choice(
                [
                    "limit=5",
                    "limit=-1",
                    "limit=1e9",
                    "cursor=%FF%FE",
                    "cursor=" + "A" * 300,
                    "limit=&cursor=",
                    "cursor=YQ",
                    "limit=2&limit=3",
                    "x=1",
                ]
            )
        path, params = _route_path(route, customer_id)
        try:
            raw.decode("utf-8")
            content_type = rng.choice(["application/json", "application/json", "text/plain"])
        except UnicodeDecodeError:
            content_type = "application/octet-stream"  # API Gateway hands such a body over base64-encoded
        answer = invoke(
            method,
            route,
            path,
            shop.key,
            raw,
            params,
            query=query,
            content_type=content_type,
            idempotency_key=rng.choice([f"m-{i}", "", "ä", "k" * 300, f"m-{i}"]),
        )
        status = answer["statusCode"]
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 400 and json.loads(answer["body"]).get("status") != status:
            failures.append(("not problem+json", method, route, answer.get("body", "")[:300]))
        if status >= 500:
            failures.append((method, route, raw[:120], query, answer.get("body", "")[:300]))
    assert sum(statuses.values()) == 2000
    assert failures == [], failures[:5]
    print("statuses:", dict(sorted(statuses.items())))
