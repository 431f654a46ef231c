"""The catalog's routes (docs/price-changes.md) each under FUZZ_REQUESTS (default 2,000) mutated
requests, in-process with real-shaped HTTP API events: mutated bodies and random bytes on the version
route, hostile plan codes and queries on all three. Never a 5xx; every refusal is problem+json."""

from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest

from tests.integration.merchant.support import invoke, merchant
from tests.integration.merchant.test_api_fuzz import BODIES, PLAN_ROUTES, _mutated_body, _route_path

pytestmark = pytest.mark.integration

REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "2000"))
CODES = ["bas", "plus", "nope", "bas@v2", "x" * 70, "%00", "a/b", "ä", "..", "bas%20", "-"]
QUERIES = ["", "x=1", "limit=-1", "code=bas", "%FF%FE", "a=" + "A" * 300]


@pytest.mark.parametrize(("method", "route"), PLAN_ROUTES)
def test_each_catalog_route_takes_mutated_requests_without_a_5xx(local_env, method, route):
    rng = random.Random(f"{method} {route}")
    shop = merchant("t-cat-" + hex(rng.getrandbits(32))[2:])
    statuses: Counter[int] = Counter()
    failures = []
    for i in range(REQUESTS):
        path, params = _route_path(route, rng.choice(CODES))
        raw = _mutated_body(rng, BODIES[route]) if method == "POST" else b""
        try:
            raw.decode("utf-8")
            content_type = rng.choice(["application/json", "application/json", "text/plain"])
        except UnicodeDecodeError:
            content_type = "application/octet-stream"
        answer = invoke(
            method,
            route,
            path,
            shop.key,
            raw,
            params,
            query=rng.choice(QUERIES),
            content_type=content_type,
            idempotency_key=rng.choice([f"m-{i}", "", "ä", "k" * 300, f"m-{i}"]),
        )
        status = answer["statusCode"]
        statuses[status] += 1
        if status >= 400 and json.loads(answer["body"]).get("status") != status:
            failures.append(("not problem+json", answer.get("body", "")[:300]))
        if status >= 500:
            failures.append((raw[:120], answer.get("body", "")[:300]))
    print(f"{method} {route}: {REQUESTS} requests, statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) == REQUESTS
    assert failures == [], failures[:5]
