"""A fuzz of the public routes (issue 20): usage ingestion, the Autogiro form, the relief forms, the
payment links and the customer's own forms (spend alert, usage download, exit, pause), 2,000 mutated
requests each (random-byte bodies included), as real-shaped API Gateway v2 events handed to the
functions in-process, against the local stack. Not one may answer 5xx.

The Stripe webhook and the page actions (view pixel, questions, feedback, offer clicks) have their own
fuzz. FUZZ_REQUESTS changes the count per route; FUZZ_SEED replays a run (the seed is in the report).
"""

from __future__ import annotations

import json
import os
import random
import string
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from billing.adapters.dynamo.stores import DynamoTenantDirectory
from billing.adapters.dynamo.usage import DynamoApiKeys
from billing.services.billing_run import SystemClock
from billing.services.ingest_usage import create_api_key
from billing.wiring.core import tenant_directory
from infra import demo, demo_data
from infra.local_lambda import LambdaContext, handler_for, http_api_event, lambda_output
from infra.local_run import run_billing
from tests.integration import stripe_support
from tests.integration.helpers import invoices_of

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture: the payment links talk to the Stripe stand-in

REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "2000"))
SEED = int(os.environ.get("FUZZ_SEED", str(random.SystemRandom().randrange(2**32))))
RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)

# (function, method, route key, whether it carries a form body)
ROUTES = [
    ("IngestUsageFunction", "POST", "/v1/usage", "json"),
    ("AutogiroApiFunction", "GET", "/v1/pages/{token}/autogiro", None),
    ("AutogiroApiFunction", "POST", "/v1/pages/{token}/autogiro", "autogiro"),
    ("ReliefApiFunction", "GET", "/v1/pages/{token}/relief", None),
    ("ReliefApiFunction", "POST", "/v1/pages/{token}/relief/move", "move"),
    ("ReliefApiFunction", "POST", "/v1/pages/{token}/relief/split", "split"),
    ("PaymentsApiFunction", "GET", "/v1/pages/{token}/pay", None),
    ("PaymentsApiFunction", "POST", "/v1/pages/{token}/pay", "none"),
    ("PaymentsApiFunction", "GET", "/v1/pages/{token}/autopay", None),
    ("PaymentsApiFunction", "POST", "/v1/pages/{token}/autopay", "none"),
    ("CustomerChoicesFunction", "POST", "/v1/pages/{token}/plan", "plan"),
    ("CustomerEngagementFunction", "POST", "/v1/pages/{token}/spend-alert", "spend"),
    ("CustomerEngagementFunction", "GET", "/v1/pages/{token}/usage", None),
    ("CustomerEngagementFunction", "GET", "/v1/pages/{token}/exit", None),
    ("CustomerEngagementFunction", "POST", "/v1/pages/{token}/exit", "none"),
    ("CustomerEngagementFunction", "POST", "/v1/pages/{token}/pause", "pause"),
]

NASTY = [
    "",
    "\x00",
    "\u202e",
    "\u200b",
    "\ud800",
    "💸",
    "A" * 5000,
    "-0",
    "1e-999999999",
    "9" * 5000,
    "NaN",
    "Infinity",
    "../../etc/passwd",
    "<script>",
    "%00",
    "%ff%fe",
    "1970-01-01",
    "9999-12-31",
    "2026-02-30",
    "-1",
    "0",
    "24",
    "100000000000000000000",
    "true",
    "null",
    "[]",
    "{}",
]


class Fuzzer:
    def __init__(self, rng: random.Random, token: str, api_key: str, customer_id: str) -> None:
        self.rng, self.token, self.api_key, self.customer_id = rng, token, api_key, customer_id

    def text(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            return r.choice(NASTY)
        alphabet = string.printable + "åäöÅÄÖ€\u0000\u202e\ufeff"
        return "".join(r.choice(alphabet) for _ in range(r.randrange(0, 40)))

    def token_value(self) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.45:
            return self.token
        if roll < 0.6:
            chars = list(self.token)
            chars[r.randrange(len(chars))] = r.choice(string.ascii_letters + "-_")
            return "".join(chars)
        if roll < 0.7:
            return self.token + r.choice(["-1", "-2abc", "x", ".pdf"])
        return self.text().replace("/", "_") or "x"

    def mutate(self, data: bytes) -> bytes:
        r = self.rng
        data = bytearray(data)
        for _ in range(r.randrange(1, 6)):
            op = r.randrange(5)
            if op == 0 and data:
                data[r.randrange(len(data))] = r.randrange(256)
            elif op == 1 and data:
                del data[r.randrange(len(data)) :]
            elif op == 2:
                at = r.randrange(len(data) + 1)
                data[at:at] = bytes(r.randrange(256) for _ in range(r.randrange(1, 20)))
            elif op == 3:
                at = r.randrange(len(data) + 1)
                data[at:at] = self.text().encode("utf-8", "surrogatepass")
            else:
                data += data[: r.randrange(len(data) + 1)]
        return bytes(data)

    def form(self, kind: str) -> dict[str, str]:
        r = self.rng
        day = (TODAY + timedelta(days=r.randrange(-400, 400))).isoformat()
        fields: dict[str, str] = {
            "autogiro": {
                "personnummer": r.choice(["198112189876", "19811218-9876", self.text()]),
                "clearing": r.choice(["8327", "5000", self.text()]),
                "account_number": r.choice(["9355171", self.text()]),
                "consent": r.choice(["yes", "on", "", self.text()]),
            },
            "move": {"due_date": r.choice([day, self.text()])},
            "split": {
                "instalments": r.choice(["2", "3", self.text()]),
                "first_due": r.choice([day, self.text()]),
            },
            "plan": {
                "plan": r.choice(["bas", "plus", "max", self.text()]),
                "basis": r.choice([f"{r.getrandbits(64):016x}", self.text()]),
                "quoted": r.choice(["0", "9000", self.text()]),
            },
            "spend": {"amount": r.choice(["500", "1 200,50", "0", "-1", self.text()])}
            if r.random() < 0.8
            else {"remove": r.choice(["1", self.text()])},
            "pause": {"months": r.choice(["1", "2", "3", "4", "0", self.text()])},
            "none": {},
        }[kind]
        if r.random() < 0.2:
            fields[self.text()[:20] or "extra"] = self.text()
        return fields

    def usage(self) -> dict[str, Any]:
        r = self.rng
        event: dict[str, Any] = {
            "id": r.choice([f"f-{r.randrange(10**9)}", self.text()]),
            "customer_id": r.choice([self.customer_id, self.text()]),
            "metric": r.choice(["data_gb", "sms", self.text()]),
            "timestamp": r.choice(["2026-11-20T12:00:00+01:00", "1970-01-01T00:00:00Z", self.text()]),
        }
        if r.random() < 0.7:
            event["value"] = r.choice([r.randrange(100), "1.5", self.text(), -1, 10**30, 1e300, None, [1]])
        if r.random() < 0.2:
            event["properties"] = {self.text()[:10]: self.text()}
        return {"events": [event for _ in range(r.choice([1, 1, 2, 101]))]}

    def body(self, kind: str | None) -> tuple[bytes, str]:
        r = self.rng
        roll = r.random()
        if kind is None and roll < 0.7:
            return b"", ""
        if roll < 0.15:
            return bytes(r.randrange(256) for _ in range(r.randrange(0, 2048))), r.choice(
                ["application/x-www-form-urlencoded", "application/json", "application/octet-stream", ""]
            )
        if roll < 0.18:
            return b"a=" + b"x" * r.choice([17_000, 300_000]), "application/x-www-form-urlencoded"
        if kind == "json":
            if r.random() < 0.05:
                depth = r.choice([9, 100, 10_000])
                return b"[" * depth + b"]" * depth, "application/json"
            raw = json.dumps(self.usage(), default=str).encode()
        else:
            from urllib.parse import quote_plus

            def quoted(text: str) -> str:
                return quote_plus(text.encode("utf-8", "surrogatepass"))

            raw = "&".join(f"{quoted(k)}={quoted(v)}" for k, v in self.form(kind or "none").items()).encode()
        if r.random() < 0.4:
            raw = self.mutate(raw)
        ctype = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
        return raw, ctype

    def event(self, method: str, route: str, kind: str | None) -> dict[str, Any]:
        r = self.rng
        token = self.token_value()
        path = route.replace("{token}", token)
        body, ctype = self.body(kind)
        headers = {"host": "127.0.0.1"}
        if ctype:
            headers["content-type"] = ctype
        if r.random() < 0.3:
            headers["accept"] = "application/json"
        if kind == "json":
            headers["authorization"] = r.choice(
                [f"Bearer {self.api_key}"] * 6 + [f"Bearer {self.text()}", self.text(), "Bearer " + "k" * 300]
            )
        return http_api_event(
            method=method,
            raw_path=path,
            route_key=f"{method} {route}",
            path_parameters={"token": token} if "{token}" in route else {},
            headers=headers,
            query=r.choice(
                [
                    "",
                    "",
                    "a=1",
                    self.text().replace("&", ""),
                    "kind=daily&format=json",
                    f"month={self.text()}",
                    "cursor=" + self.text().replace("&", ""),
                    "format=json&month=2026-11&kind=events",
                ]
            ),
            body=body,
        )


@pytest.fixture
def target(local_env, tenant_id, stripe_fake):
    seeded = demo.seed(1, TODAY, tenant_id, RUN_DATE)
    page = {
        **demo_data.PAGE_SETTINGS,
        "reminders": {
            "steps": [{"days_after_due": 5, "fee": False, "tone": "friendly"}],
            "max_due_date_move_days": 14,
            "max_instalments": 3,
        },
        "autogiro": {"customer_number": "123456"},
        "pauses": {"max_months": 3, "per_year": 1},
    }
    DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    run_billing(tenant_id, RUN_DATE)
    (invoice,) = invoices_of(tenant_id)
    key = create_api_key(DynamoApiKeys(), tenant_directory(), tenant_id, "fuzz", SystemClock().now())
    return invoice.page_token, key, seeded["customers"][0].profile["id"]


@pytest.mark.parametrize(
    ("function", "method", "route", "kind"), ROUTES, ids=[f"{m} {r}" for _, m, r, _ in ROUTES]
)
def test_no_mutated_request_gets_a_5xx(target, function, method, route, kind):
    token, api_key, customer_id = target
    rng = random.Random(f"{SEED}:{method} {route}")
    fuzzer = Fuzzer(rng, token, api_key, customer_id)
    handler = handler_for(function)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with lambda_output():
        for n in range(REQUESTS):
            event = fuzzer.event(method, route, kind)
            try:
                status = int(handler(event, LambdaContext(function_name=function))["statusCode"])
            except Exception as exc:
                status = 500
                failures.append(f"#{n}: {type(exc).__name__}: {str(exc)[:200]}")
            statuses[status] += 1
            if status >= 500 and len(failures) < 5:
                failures.append(f"#{n}: {status} for body {str(event.get('body'))[:200]!r}")
    # Then every answer is below 500 (the seed and the first failures say how to replay one)
    assert sum(v for s, v in statuses.items() if s >= 500) == 0, (SEED, dict(statuses), failures[:5])
    assert sum(statuses.values()) == REQUESTS
