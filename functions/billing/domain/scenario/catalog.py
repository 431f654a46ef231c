"""Parsing a catalog from its JSON shape: charges and their tiers, plans and their versions, VAT rates,
one-off items.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing.domain.catalog import (
    Aggregation,
    Catalog,
    Charge,
    ChargeModel,
    OneOffItem,
    Plan,
    Tier,
)
from billing.domain.periods import Interval
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario.fields import _currency, _Fields
from billing.domain.vat import STANDARD_CATEGORIES, RateChange, VatSchedule

_TIER_FIELDS = frozenset({"up_to", "unit_price", "flat_fee"})
_CHARGE_FIELDS = frozenset(
    "code name model group unit metric aggregation field filters amount unit_price tiers package_size "
    "package_price free_units percentage fixed_fee min_per_event max_per_event min_amount max_amount "
    "vat_rate vat_category".split()
)
_USAGE_MODELS = frozenset(m for m in ChargeModel if m is not ChargeModel.FLAT)
_COMMON_CHARGE_FIELDS = frozenset("code name model group unit vat_rate vat_category".split())
_USAGE_FIELDS = frozenset("metric aggregation field filters min_amount max_amount".split())
# The price fields each model reads; any other price field is a mistake worth naming.
_MODEL_FIELDS: dict[ChargeModel, frozenset[str]] = {
    ChargeModel.FLAT: frozenset({"amount"}),
    ChargeModel.PER_UNIT: frozenset({"unit_price"}) | _USAGE_FIELDS,
    ChargeModel.GRADUATED: frozenset({"tiers"}) | _USAGE_FIELDS,
    ChargeModel.VOLUME: frozenset({"tiers"}) | _USAGE_FIELDS,
    ChargeModel.PACKAGE: frozenset({"package_size", "package_price", "free_units"}) | _USAGE_FIELDS,
    ChargeModel.PERCENTAGE: frozenset({"percentage", "fixed_fee", "min_per_event", "max_per_event"})
    | _USAGE_FIELDS,
}


def parse_charge(data: Any, path: str, vat_categories: frozenset[str] = frozenset()) -> Charge:
    f = _Fields(data, path, _CHARGE_FIELDS)
    model: ChargeModel = f.choice("model", ChargeModel)
    code = f.text("code")
    for name in sorted(f.data):
        if name not in _COMMON_CHARGE_FIELDS and name not in _MODEL_FIELDS[model]:
            raise ScenarioError(f.at(name), f"is not used by a {model.value} charge")
    zero = Decimal(0)
    tiers: list[Tier] = []
    if model in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
        raw_tiers = f.items("tiers")
        if not raw_tiers:
            raise ScenarioError(f.at("tiers"), "needs at least one tier")
        previous = zero
        for i, raw in enumerate(raw_tiers):
            t = _Fields(raw, f"{f.at('tiers')}[{i}]", _TIER_FIELDS)
            up_to = t.decimal("up_to", None, minimum=zero)
            last = i == len(raw_tiers) - 1
            if up_to is None and not last:
                raise ScenarioError(t.at("up_to"), "only the last tier may be open-ended (null)")
            if up_to is not None and up_to <= previous:
                raise ScenarioError(t.at("up_to"), "tiers must have increasing, positive bounds")
            tiers.append(Tier(up_to, t.decimal("unit_price", minimum=zero), t.integer("flat_fee", 0, 0)))
            previous = up_to if up_to is not None else previous
    metric = f.text("metric", None)
    if model in _USAGE_MODELS and metric is None:
        raise ScenarioError(f.at("metric"), f"is required for a {model.value} charge")
    if model is ChargeModel.FLAT and metric is not None:
        raise ScenarioError(f.at("metric"), "a flat fee is not metered; remove the metric")
    default_aggregation = Aggregation.SUM
    aggregation: Aggregation = f.choice("aggregation", Aggregation, default_aggregation)
    if model is ChargeModel.PERCENTAGE and aggregation is not Aggregation.SUM:
        raise ScenarioError(f.at("aggregation"), "a percentage charge sums the amounts of its events")
    field_name = f.text("field", None)
    if aggregation is Aggregation.UNIQUE_COUNT and field_name is None:
        raise ScenarioError(
            f.at("field"), "unique_count needs the event property whose distinct values it counts"
        )
    filters = []
    raw_filters = f.raw("filters", {})
    if not isinstance(raw_filters, Mapping):
        raise ScenarioError(f.at("filters"), "must be an object of property -> list of values")
    for key in sorted(raw_filters):
        values = raw_filters[key]
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or not values:
            raise ScenarioError(f"{f.at('filters')}.{key}", "must be a non-empty list of strings")
        filters.append((str(key), tuple(values)))
    vat_rate = f.decimal("vat_rate", None, minimum=zero)
    category = f.text("vat_category", "standard")
    if vat_rate is None and category not in vat_categories and category not in STANDARD_CATEGORIES:
        raise ScenarioError(f.at("vat_category"), f"unknown VAT category {category!r}")
    package_size = f.decimal("package_size", Decimal(1))
    if package_size <= 0:
        raise ScenarioError(f.at("package_size"), "must be more than 0")
    amount = f.integer("amount", None, minimum=0)
    if model is ChargeModel.FLAT and amount is None:
        raise ScenarioError(f.at("amount"), "is required for a flat fee (minor units per full period)")
    if model is ChargeModel.PER_UNIT and "unit_price" not in f.data:
        raise ScenarioError(f.at("unit_price"), "is required for a per_unit charge")
    if model is ChargeModel.PACKAGE and "package_price" not in f.data:
        raise ScenarioError(f.at("package_price"), "is required for a package charge")
    if model is ChargeModel.PERCENTAGE and "percentage" not in f.data:
        raise ScenarioError(f.at("percentage"), "is required for a percentage charge")
    min_amount = f.integer("min_amount", None, minimum=0)
    max_amount = f.integer("max_amount", None, minimum=0)
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise ScenarioError(f.at("min_amount"), "is more than max_amount")
    min_event = f.decimal("min_per_event", None, minimum=zero)
    max_event = f.decimal("max_per_event", None, minimum=zero)
    if min_event is not None and max_event is not None and min_event > max_event:
        raise ScenarioError(f.at("min_per_event"), "is more than max_per_event")
    return Charge(
        code=code,
        name=f.text("name"),
        model=model,
        group=f.label("group"),
        unit=f.label("unit"),
        metric=metric,
        aggregation=aggregation,
        field=field_name,
        filters=tuple(filters),
        amount=amount or 0,
        unit_price=f.decimal("unit_price", zero, minimum=zero),
        tiers=tuple(tiers),
        package_size=package_size,
        package_price=f.integer("package_price", 0, minimum=0),
        free_units=f.decimal("free_units", zero, minimum=zero),
        percentage=f.decimal("percentage", zero, minimum=zero),
        fixed_fee=f.decimal("fixed_fee", zero, minimum=zero),
        min_per_event=min_event,
        max_per_event=max_event,
        min_amount=min_amount,
        max_amount=max_amount,
        vat_rate=vat_rate,
        vat_category=category,
    )


_PLAN_FIELDS = frozenset(
    "code name interval currency charges minimum_commitment version_of effective_from".split()
)


def parse_plan(data: Any, path: str = "plan", vat_categories: frozenset[str] = frozenset()) -> Plan:
    f = _Fields(data, path, _PLAN_FIELDS)
    charges = []
    seen: set[str] = set()
    for i, raw in enumerate(f.items("charges")):
        charge = parse_charge(raw, f"{f.at('charges')}[{i}]", vat_categories)
        if charge.code in seen:
            raise ScenarioError(f"{f.at('charges')}[{i}].code", f"duplicate charge code {charge.code!r}")
        seen.add(charge.code)
        charges.append(charge)
    return Plan(
        code=f.text("code"),
        name=f.text("name"),
        interval=f.choice("interval", Interval, Interval.MONTHLY),
        currency=_currency(f, "currency", "SEK"),
        charges=tuple(charges),
        minimum_commitment=f.integer("minimum_commitment", None, minimum=0),
        version_of=f.text("version_of", None),
        effective_from=f.day("effective_from", None),
    )


def parse_vat_rates(data: Any, path: str = "catalog.vat_rates") -> VatSchedule:
    """{"food": [{"from": "2024-01-01", "rate": "12"}, {"from": "2026-04-01", "rate": "6"}]}"""
    if not isinstance(data, Mapping):
        raise ScenarioError(path, "must be an object of category -> list of {from, rate}")
    categories: dict[str, tuple[RateChange, ...]] = {}
    for name in sorted(data):
        changes = data[name]
        if not isinstance(changes, list) or not changes:
            raise ScenarioError(f"{path}.{name}", "must be a non-empty list of {from, rate}")
        parsed = []
        for i, raw in enumerate(changes):
            c = _Fields(raw, f"{path}.{name}[{i}]", frozenset({"from", "rate"}))
            rate = c.decimal("rate", minimum=Decimal(0))
            if rate > 100:
                raise ScenarioError(c.at("rate"), "is a percentage (0-100)")
            parsed.append(RateChange(c.day("from"), rate))
        parsed.sort(key=lambda x: x.effective_from)
        for a, b in itertools.pairwise(parsed):
            if a.effective_from == b.effective_from:
                raise ScenarioError(f"{path}.{name}", f"two rates from {a.effective_from}")
        categories[str(name)] = tuple(parsed)
    return VatSchedule(categories)


def parse_catalog(data: Any, path: str = "catalog") -> Catalog:
    f = _Fields(data, path, frozenset({"plans", "vat_rates"}))
    schedule = parse_vat_rates(f.raw("vat_rates", {}), f.at("vat_rates"))
    known = frozenset(schedule.categories)
    plans: dict[str, Plan] = {}
    for i, raw in enumerate(f.items("plans")):
        plan = parse_plan(raw, f"{f.at('plans')}[{i}]", known)
        if plan.code in plans:
            raise ScenarioError(f"{f.at('plans')}[{i}].code", f"duplicate plan code {plan.code!r}")
        plans[plan.code] = plan
    if not plans:
        raise ScenarioError(f.at("plans"), "needs at least one plan")
    _check_versions(plans, f.at("plans"))
    return Catalog(plans=plans, vat_schedule=schedule)


def _check_versions(plans: dict[str, Plan], path: str) -> None:
    """A later version (docs/price-changes.md) names a first version billed the same way."""
    for i, plan in enumerate(plans.values()):
        if (plan.version_of is None) != (plan.effective_from is None):
            raise ScenarioError(
                f"{path}[{i}].effective_from", "a version needs version_of and effective_from"
            )
        if plan.version_of is None:
            continue
        first = plans.get(plan.version_of)
        if first is None or first.version_of is not None:
            raise ScenarioError(f"{path}[{i}].version_of", f"no first version {plan.version_of!r}")
        if (first.interval, first.currency) != (plan.interval, plan.currency):
            raise ScenarioError(f"{path}[{i}].interval", "a version keeps its plan's interval and currency")


_ITEM_FIELDS = frozenset("code description quantity unit_price unit group vat_rate vat_category".split())


def parse_one_off_item(data: Any, path: str = "item") -> OneOffItem:
    f = _Fields(data, path, _ITEM_FIELDS)
    return OneOffItem(
        code=f.text("code", None),
        description=f.text("description"),
        quantity=f.decimal("quantity", Decimal(1)),
        unit_price=f.decimal("unit_price"),
        unit=f.label("unit"),
        group=f.label("group"),
        vat_rate=f.decimal("vat_rate", None, minimum=Decimal(0)),
        vat_category=f.text("vat_category", "standard"),
    )
