"""Builders for pricing test data: the smallest valid JSON shapes, overridable per test."""

from __future__ import annotations

import copy
from typing import Any

TENANT: dict[str, Any] = {
    "tenant_id": "t1",
    "legal_name": "Molnbolaget i Sverige AB",
    "org_number": "556677-8899",
    "vat_number": "SE556677889901",
    "address": ["Storgatan 1", "111 22 Stockholm"],
    "currency": "SEK",
    "invoice_series_prefix": "F",
    "payment_terms_days": 30,
}

CUSTOMER: dict[str, Any] = {
    "id": "c1",
    "name": "Kaffebryggarna HB",
    "address": ["Lilla torget 3", "411 18 Göteborg"],
    "language": "en",
}


def flat(code: str = "fee", amount: int = 10000, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": code.title(), "model": "flat", "amount": amount, **extra}


def usage(code: str, model: str, metric: str = "m", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": code.title(), "model": model, "metric": metric, **extra}


def plan(*charges: dict[str, Any], code: str = "p", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": code.title(),
        "interval": "monthly",
        "currency": "SEK",
        "charges": list(charges),
        **extra,
    }


def event(i: int | str, ts: str, metric: str = "m", value: Any = 1, **props: str) -> dict[str, Any]:
    return {
        "id": f"e{i}",
        "customer_id": "c1",
        "metric": metric,
        "timestamp": ts,
        "value": value,
        "properties": props,
    }


def scenario(
    *plans: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    phases: list[dict[str, str]] | None = None,
    period_start: str = "2026-03-01",
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tenant": copy.deepcopy(TENANT),
        "catalog": {"plans": list(plans) or [plan(flat())]},
        "customer": copy.deepcopy(CUSTOMER),
        "subscription": {
            "id": "s1",
            "customer_id": "c1",
            "phases": phases or [{"plan": (plans[0]["code"] if plans else "p"), "start": "2026-01-01"}],
        },
        "events": events or [],
        "period_start": period_start,
    }
    data.update(extra)
    return data


def lines_of(result: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    return [x for x in result["lines"] if kind is None or x["kind"] == kind]
