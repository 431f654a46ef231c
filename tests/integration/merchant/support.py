"""Helpers for the merchant API's tests: a tenant with keys, HTTP calls through the local HTTP API,
and the same requests as in-process Lambda calls with real-shaped HTTP API 2.0 events (the fuzzers)."""

from __future__ import annotations

import contextlib
import io
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from billing.cli import main as billing_cli
from infra import demo_data
from infra.local_lambda import LambdaContext, http_api_event


def create_key(tenant_id: str, scope: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(["apikey", "create", "--tenant", tenant_id, "--scope", scope]) == 0
    return out.getvalue().strip()


@dataclass(frozen=True)
class Merchant:
    tenant_id: str
    key: str  # full scope
    usage_key: str


def merchant(tenant_id: str) -> Merchant:
    from billing.adapters.dynamo.stores import DynamoTenantDirectory
    from billing.wiring.core import bind_tables

    bind_tables()
    DynamoTenantDirectory.put(
        tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, demo_data.PAGE_SETTINGS
    )
    return Merchant(tenant_id, create_key(tenant_id, "full"), create_key(tenant_id, "usage"))


def customer_body(i: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"c-{i:04d}",
        "name": f"Kund {i}",
        "email": f"kund{i}@example.se",
        "address": ["Storgatan 1", "111 22 Stockholm"],
        "personal_number": "19811218-9876",
    } | extra


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    base_url: str,
    method: str,
    path: str,
    key: str | None,
    body: Any = None,
    *,
    idempotency_key: str | None = None,
    raw: bytes | None = None,
) -> Answer:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, dict(response.headers), json.loads(response.read() or b"null"))
    except urllib.error.HTTPError as exc:
        raw_body = exc.read()
        try:
            parsed = json.loads(raw_body or b"null")
        except ValueError:
            parsed = raw_body.decode("utf-8", "replace")
        return Answer(exc.code, dict(exc.headers), parsed)


def invoke(
    method: str,
    route: str,
    path: str,
    key: str | None,
    body: bytes,
    params: dict[str, str] | None = None,
    *,
    idempotency_key: str | None = "fuzz",
    query: str = "",
    content_type: str = "application/json",
) -> dict[str, Any]:
    """The merchant API's handler called in-process with the event API Gateway would send."""
    from billing.handlers.merchant_api import lambda_handler

    headers = {"content-type": content_type}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    event = http_api_event(
        method=method,
        raw_path=path,
        route_key=f"{method} {route}",
        path_parameters=params or {},
        headers=headers,
        query=query,
        body=body,
    )
    response: dict[str, Any] = lambda_handler(event, LambdaContext(function_name="merchant_api"))
    return response


def lose_the_next_number(monkeypatch: Any) -> list[str]:
    """Another document takes the next number of a series just after the next read of its counter
    (once); the list names the counter once it has."""
    from billing.adapters.dynamo.models import CounterModel

    read = CounterModel.get
    raced: list[str] = []

    def read_then_lose(counter_id: str, *args: Any, **kwargs: Any) -> Any:
        item = read(counter_id, *args, **kwargs)
        if not raced:
            raced.append(counter_id)
            CounterModel(counter_id).update(actions=[CounterModel.value.add(1)])
        return item

    monkeypatch.setattr(CounterModel, "get", read_then_lose)
    return raced
