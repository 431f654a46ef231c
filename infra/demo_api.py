"""The demo merchant's back office: its customers and subscriptions go in through the merchant's API
(MerchantApiFunction, called in-process with the HTTP API 2.0 events API Gateway sends, as the local
stack calls every function), not through DynamoDB writes, and two customers change their minds
mid-period: one upgrades (a prorated plan-change invoice with its own page), one cancels (the unused
days credited on its next invoice).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from infra import demo_data
from infra.local_lambda import LambdaContext, handler_for, http_api_event, lambda_output


class MerchantApiError(RuntimeError):
    pass


@functools.cache
def _merchant_handler() -> Any:
    # Resolved once per process: finding it reads template.yaml, which costs more than many calls
    return handler_for("MerchantApiFunction")


class MerchantApi:
    def __init__(self, tenant_id: str) -> None:
        from billing.adapters.dynamo.usage import DynamoApiKeys
        from billing.services.api_keys import SCOPE_FULL, create_api_key
        from billing.wiring.merchant import tenants

        self.handler = _merchant_handler()
        self.key = create_api_key(
            DynamoApiKeys(), tenants(), tenant_id, "demo back office", datetime.now(UTC), SCOPE_FULL
        )

    def call(self, method: str, route: str, params: dict[str, str], body: Any = None, key: str = "") -> Any:
        path = route
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        headers = {"authorization": f"Bearer {self.key}", "content-type": "application/json"}
        if method == "POST":
            request = f"{method} {path} {json.dumps(body, sort_keys=True)}"
            headers["idempotency-key"] = key or "demo-" + hashlib.sha256(request.encode()).hexdigest()[:32]
        event = http_api_event(
            method=method,
            raw_path=path,
            route_key=f"{method} {route}",
            path_parameters=params,
            headers=headers,
            query="",
            body=json.dumps(body).encode() if body is not None else b"",
        )
        with lambda_output():
            answer = self.handler(event, LambdaContext(function_name="MerchantApiFunction"))
        if answer["statusCode"] >= 300:
            raise MerchantApiError(f"{method} {path}: {answer['statusCode']} {answer['body']}")
        return json.loads(answer["body"])

    def add_customer(self, customer: demo_data.DemoCustomer, billing_from: date) -> None:
        profile = customer.profile
        self.call(
            "POST",
            "/v1/customers",
            {},
            {
                "id": profile["id"],
                "name": profile["name"],
                "email": customer.email,
                "address": profile["address"],
                "country": profile["country"],
                "language": profile["language"],
                "timezone": profile["timezone"],
            },
        )
        self.call(
            "POST",
            "/v1/customers/{customer_id}/subscription",
            {"customer_id": profile["id"]},
            {
                "plan": customer.subscription["phases"][0]["plan"],
                "start_date": customer.start.isoformat(),
                "billing_from": billing_from.isoformat(),
            },
        )


@contextlib.contextmanager
def on_day(day: date) -> Iterator[None]:
    """The services' clock on `day` (noon UTC) while the demo acts in its past."""
    from billing.services.billing_run import SystemClock

    moment = datetime.combine(day, time(12), UTC)
    original = SystemClock.now
    SystemClock.now = lambda self: moment  # type: ignore[method-assign]
    try:
        yield
    finally:
        SystemClock.now = original  # type: ignore[method-assign]


def change_minds(
    api: MerchantApi, customers: list[demo_data.DemoCustomer], month: date
) -> dict[str, tuple[demo_data.DemoCustomer, dict[str, Any]]]:
    """On the 15th of `month` (already invoiced), a customer on Bas with history upgrades to Plus and
    another cancels; returns what the API answered for each."""
    day = month.replace(day=15)

    def eligible(c: demo_data.DemoCustomer) -> bool:
        return c.start < demo_data.add_months(month, -3)

    upgrader = next(
        (c for c in customers if eligible(c) and c.subscription["phases"][0]["plan"] == "bas"), None
    )
    leaver = next((c for c in reversed(customers) if eligible(c) and c is not upgrader), None)
    if upgrader is None or leaver is None:
        return {}  # too few customers with history to show it
    with on_day(day):
        upgraded = api.call(
            "POST",
            "/v1/customers/{customer_id}/subscription/change",
            {"customer_id": upgrader.profile["id"]},
            {"plan": "plus"},
        )
        cancelled = api.call(
            "POST",
            "/v1/customers/{customer_id}/subscription/cancel",
            {"customer_id": leaver.profile["id"]},
            {"at": "now"},
        )
    return {"upgraded mid-period": (upgrader, upgraded), "cancelled mid-period": (leaver, cancelled)}
