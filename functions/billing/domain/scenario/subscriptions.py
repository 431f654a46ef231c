"""Parsing a subscription (its phases, anchor, end, pauses) and a coupon from their JSON shapes."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing.domain.catalog import (
    Coupon,
    Pause,
    PlanPhase,
    Subscription,
)
from billing.domain.periods import Anchor
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario.fields import _Fields

_SUBSCRIPTION_FIELDS = frozenset(
    "id customer_id anchor anchor_date phases end_date cancelled_on pauses".split()
)
_PAUSE_FIELDS = frozenset({"start", "end", "decided_on"})


def parse_subscription(data: Any, path: str = "subscription") -> Subscription:
    f = _Fields(data, path, _SUBSCRIPTION_FIELDS)
    phases = []
    for i, raw in enumerate(f.items("phases")):
        p = _Fields(raw, f"{f.at('phases')}[{i}]", frozenset({"plan", "start"}))
        phases.append(PlanPhase(p.text("plan"), p.day("start")))
    if not phases:
        raise ScenarioError(f.at("phases"), "needs at least one phase (plan and start date)")
    for i in range(1, len(phases)):
        if phases[i].start <= phases[i - 1].start:
            raise ScenarioError(f"{f.at('phases')}[{i}].start", "phases must start on increasing dates")
    end_date = f.day("end_date", None)
    if end_date is not None and end_date <= phases[0].start:
        raise ScenarioError(f.at("end_date"), "must be after the first phase starts")
    if end_date is not None and end_date <= phases[-1].start:
        raise ScenarioError(f.at("end_date"), "must be after the last phase starts")
    cancelled_on = f.day("cancelled_on", None)
    if cancelled_on is not None and end_date is None:
        raise ScenarioError(f.at("cancelled_on"), "given without an end_date")
    return Subscription(
        id=f.text("id"),
        customer_id=f.text("customer_id"),
        anchor=f.choice("anchor", Anchor, Anchor.CALENDAR),
        anchor_date=f.day("anchor_date", None),
        phases=tuple(phases),
        end_date=end_date,
        cancelled_on=cancelled_on,
        pauses=_pauses(f.items("pauses", []), f.at("pauses")),
    )


def _pauses(raw_pauses: list[Any], at: str) -> tuple[Pause, ...]:
    """The held periods (billing.domain.pauses), in order and apart."""
    pauses: list[Pause] = []
    for i, raw in enumerate(raw_pauses):
        where = f"{at}[{i}]"
        if not isinstance(raw, Mapping) or set(raw) != _PAUSE_FIELDS:
            raise ScenarioError(where, "must be a mapping of start, end and decided_on")
        p = _Fields(raw, where, _PAUSE_FIELDS)
        pause = Pause(p.day("start"), p.day("end"), p.day("decided_on"))
        if pause.end <= pause.start:
            raise ScenarioError(f"{where}.end", "must be after start")
        if pauses and pause.start < pauses[-1].end:
            raise ScenarioError(f"{where}.start", "pauses must be in order and must not overlap")
        pauses.append(pause)
    return tuple(pauses)


_COUPON_FIELDS = frozenset("code name kind percent amount duration periods times_applied charge".split())


def parse_coupon(data: Any, path: str = "coupon") -> Coupon:
    f = _Fields(data, path, _COUPON_FIELDS)
    kind = f.text("kind")
    if kind not in ("percentage", "fixed"):
        raise ScenarioError(f.at("kind"), "must be 'percentage' or 'fixed'")
    duration = f.text("duration", "once")
    if duration not in ("once", "repeating", "forever"):
        raise ScenarioError(f.at("duration"), "must be 'once', 'repeating' or 'forever'")
    percent = f.decimal("percent", Decimal(0), minimum=Decimal(0))
    if kind == "percentage" and ("percent" not in f.data or percent > 100):
        raise ScenarioError(f.at("percent"), "a percentage coupon needs percent between 0 and 100")
    if kind == "fixed" and "amount" not in f.data:
        raise ScenarioError(f.at("amount"), "a fixed coupon needs amount (minor units)")
    periods = f.integer("periods", 1, minimum=1)
    if duration == "repeating" and "periods" not in f.data:
        raise ScenarioError(f.at("periods"), "a repeating coupon needs the number of periods")
    return Coupon(
        code=f.text("code"),
        name=f.label("name"),
        kind=kind,
        percent=percent,
        amount=f.integer("amount", 0, minimum=0),
        duration=duration,
        periods=periods,
        times_applied=f.integer("times_applied", 0, minimum=0),
        charge_code=f.text("charge", None),
    )
