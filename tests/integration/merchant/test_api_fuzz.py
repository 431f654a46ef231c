"""The merchant API under attack, in-process (the handler called with the HTTP API 2.0 events API
Gateway sends; the same code path as over a socket, many times faster):

- cross-tenant: every route with the other tenant's ids, cursors, Idempotency-Keys and keys reaches
  nothing of the other tenant's (0 successes), and the other tenant's records are unchanged;
- 2,000 mutated bodies and queries over every route: never a 5xx.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from billing.wiring.core import page_actions
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
    # One-off invoices and credit notes
    ("POST", "/v1/customers/{customer_id}/invoices"),
    ("POST", "/v1/invoices/{invoice_id}/credit_notes"),
    ("GET", "/v1/invoices/{invoice_id}/credit_notes"),
    ("GET", "/v1/credit_notes/{credit_note_id}"),
    ("GET", "/v1/questions"),
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
    "/v1/customers/{customer_id}/invoices": {
        "items": [{"description": "Intrång", "quantity": "2", "unit_price": 1000, "vat_rate": "25"}]
    },
    "/v1/invoices/{invoice_id}/credit_notes": {"lines": [{"line_id": "1", "amount": 100}], "reason": "x"},
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
    customers = {i.customer_id: i.serialize() for i in CustomerModel.query(tenant_id)}
    return customers | {i.invoice_id: i.serialize() for i in InvoiceModel.query(tenant_id)}


def _route_path(route: str, some_id: str) -> tuple[str, dict[str, str]]:
    """The path and path parameters of `route` for one id: a customer's, or under /v1/invoices an
    invoice's (with question q-1 where the route names a question)."""
    name = next(
        n
        for n in ("invoice_id", "credit_note_id", "code", "customer_id")
        if "{" + n + "}" in route or n == "customer_id"
    )
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


def _credit_note(shop: Merchant, invoice_id: str) -> str:
    route = "/v1/invoices/{invoice_id}/credit_notes"
    answer = _call("POST", route, shop.key, invoice_id, {"lines": [{"line_id": "1", "amount": 100}]})
    assert answer["statusCode"] == 201, answer
    return str(json.loads(answer["body"])["credit_note"]["id"])


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
    # And a credit note of each tenant: ids for /v1/credit_notes/{credit_note_id}
    note_ids = {shop.tenant_id: [_credit_note(shop, invoice_ids[shop.tenant_id][0])] for shop in (a, b)}
    markers = {a.tenant_id: "Alfa", b.tenant_id: "Beta"}
    # An open question per invoice, its text naming the tenant: the open list must never show the other's
    for shop in (a, b):
        for n, invoice_id in enumerate(invoice_ids[shop.tenant_id]):
            token = InvoiceModel.get(shop.tenant_id, invoice_id).page_token
            page_actions().ask(token, f"{markers[shop.tenant_id]} fråga {n}", None)
    # A cursor of each tenant's listing: the other tenant will replay it
    cursors, question_cursors = {}, {}
    for shop in (a, b):
        page = json.loads(
            invoke("GET", "/v1/customers", "/v1/customers", shop.key, b"", query="limit=2")["body"]
        )
        cursors[shop.tenant_id] = page["next_cursor"]
        listed = invoke("GET", "/v1/questions", "/v1/questions", shop.key, b"", query="limit=1")
        question_cursors[shop.tenant_id] = json.loads(listed["body"])["next_cursor"]
        assert question_cursors[shop.tenant_id]
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
        elif route.startswith("/v1/credit_notes/"):
            victim_id = rng.choice(note_ids[victim.tenant_id])
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
        elif route == "/v1/questions":
            query = rng.choice(["", f"cursor={question_cursors[victim.tenant_id]}&order=newest"])
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
    "items",
    "lines",
    "reason",
    "effective_date",
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


ITEM_FIELDS = [
    "description",
    "quantity",
    "unit_price",
    "unit",
    "vat_rate",
    "code",
    "period",
    "line_id",
    "amount",
    "extra",
]
ITEM_JUNK: list[Any] = [
    "1",
    "2",
    "0.000001",
    "1e3",
    "NaN",
    "Infinity",
    "-0",
    10**12,
    10**13,
    "99.999",
    {"start": "2026-12-01", "end": "2026-11-01"},
    {"start": "2026-12-01", "end": "2027-01-01"},
    {"start": "x"},
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
    # A third of the one-off and credit-note bodies change only inside their lines, so they reach the
    # engine (and its refusals) rather than stopping at an unknown top-level field.
    inner_only = any(isinstance(base.get(n), list) for n in ("items", "lines")) and rng.random() < 0.33
    for _ in range(0 if inner_only else rng.randint(1, 4)):
        op = rng.random()
        name = rng.choice([*FIELDS, "extra", "__proto__", "tenant_id"])
        if op < 0.2:
            body.pop(name, None)
        elif op < 0.9:
            body[name] = rng.choice(JUNK)
        else:
            body[name] = {"nested": [rng.choice(JUNK)] * rng.randint(0, 5)}
    for name in ("items", "lines"):
        if isinstance(body.get(name), list) and body[name] and rng.random() < 0.7:
            # Inside a line: what a one-off item or a credited line carries
            entry = dict(body[name][0]) if isinstance(body[name][0], dict) else {}
            for _ in range(rng.randint(1, 3)):
                entry[rng.choice(ITEM_FIELDS)] = rng.choice(JUNK + ITEM_JUNK)
            body[name] = [entry] * rng.choice([1, 1, 2, 101])
    return json.dumps(body, allow_nan=True).encode()


def test_two_thousand_mutated_requests_never_get_a_5xx(local_env):
    """2,000 requests over every route by default (`make test`). MERCHANT_FUZZ_PER_ROUTE runs that many
    per route instead (`make fuzz`: 2,000 each, issue 15); MERCHANT_FUZZ_ROUTES ("METHOD path;...") and
    MERCHANT_FUZZ_BODIES run more over some routes (docs/api.md reports such a run)."""
    only = [tuple(r.split(" ", 1)) for r in os.environ.get("MERCHANT_FUZZ_ROUTES", "").split(";") if r]
    routes = [r for r in ROUTES if r in only] if only else ROUTES
    assert routes, f"no route of {only} is in ROUTES"
    each = int(os.environ.get("MERCHANT_FUZZ_PER_ROUTE", "0"))
    count = each * len(routes) if each else int(os.environ.get("MERCHANT_FUZZ_BODIES", "2000"))
    rng = random.Random(2000)
    shop = merchant("t-mut-" + hex(rng.getrandbits(32))[2:])
    _seed(shop, "Gamma", 2)
    # A real invoice and credit note: the credit-note routes reach the engine, not only a 404
    issued = _call(
        "POST",
        "/v1/customers/{customer_id}/invoices",
        shop.key,
        "gamma-0",
        BODIES["/v1/customers/{customer_id}/invoices"],
    )
    assert issued["statusCode"] == 201, issued
    invoice_id = json.loads(issued["body"])["invoice"]["id"]
    note_id = _credit_note(shop, invoice_id)
    statuses: dict[int, int] = {}
    per_route: dict[str, dict[int, int]] = {}
    failures = []
    for i in range(count):
        method, route = routes[i % len(routes)]
        customer_id = rng.choice(
            ["gamma-0", "gamma-1", "nope", "x" * 70, "%00", "a/b", "inv_" + "a" * 26, invoice_id, note_id]
        )
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
                    "status=closed",
                    "status=open&order=oldest",
                    "order=%00",
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
        tally = per_route.setdefault(f"{method} {route}", {})
        tally[status] = tally.get(status, 0) + 1
        if status >= 400 and json.loads(answer["body"]).get("status") != status:
            failures.append(("not problem+json", method, route, answer.get("body", "")[:300]))
        if status >= 500:
            failures.append((method, route, raw[:120], query, answer.get("body", "")[:300]))
    assert sum(statuses.values()) == count
    assert failures == [], failures[:5]
    print("statuses:", dict(sorted(statuses.items())))
    for name, tally in sorted(per_route.items()):
        print(f"  {name}: {sum(tally.values())} requests, statuses {dict(sorted(tally.items()))}")
