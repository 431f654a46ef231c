"""Parsing one usage event from its JSON shape (docs/usage.md): metric, instant, value, properties."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario.fields import _Fields
from billing.domain.usage import UsageEvent, usage_value_problem

_EVENT_FIELDS = frozenset("id customer_id metric timestamp value properties".split())


def parse_usage_event(data: Any, path: str = "event") -> UsageEvent:
    f = _Fields(data, path, _EVENT_FIELDS)
    properties = f.raw("properties", {})
    if not isinstance(properties, Mapping):
        raise ScenarioError(f.at("properties"), "must be an object of string values")
    clean: dict[str, str] = {}
    for key, value in properties.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ScenarioError(f"{f.at('properties')}.{key}", "must be a string or an integer")
        clean[str(key)] = str(value)
    value = f.decimal("value", Decimal(1))
    problem = usage_value_problem(value)
    if problem:
        raise ScenarioError(f.at("value"), problem)
    return UsageEvent(
        id=f.text("id"),
        customer_id=f.text("customer_id"),
        metric=f.text("metric"),
        timestamp=f.instant("timestamp"),
        value=value,
        properties=clean,
    )
