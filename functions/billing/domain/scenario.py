"""Parsers from the JSON shapes of docs/pricing.md to domain objects; every error names its field.

The same shapes are a quote scenario's parts and what the stores keep in DynamoDB, so the worker and
`billing quote` build the engine's input with the same functions. Amounts are ints in minor units;
unit prices, quantities and rates are ints or decimal strings (never floats); dates are ISO dates;
instants are ISO 8601 with an offset.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from billing.domain.catalog import (
    Aggregation,
    Catalog,
    Charge,
    ChargeModel,
    Coupon,
    OneOffItem,
    Plan,
    PlanPhase,
    Subscription,
    Tier,
)
from billing.domain.credit import credit_note
from billing.domain.invoice import Invoice, format_invoice_number
from billing.domain.money import MAX_DIGITS, MoneyError, to_decimal
from billing.domain.ocr import ocr_reference
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import Anchor, Interval, previous_period
from billing.domain.pricing import (
    compute_invoice,
    one_off_invoice,
    preview_invoice,
    quote_plan_change,
    reprice,
)
from billing.domain.pricing_errors import CreditError, ScenarioError
from billing.domain.usage import UsageEvent, usage_value_problem
from billing.domain.vat import STANDARD_CATEGORIES, RateChange, VatSchedule

T = TypeVar("T")
_MISSING = object()


class _Fields:
    """Typed reads from one JSON object, with the dotted path of each field for errors."""

    def __init__(self, data: Any, path: str, allowed: frozenset[str] | None = None) -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(path or "scenario", "must be an object")
        self.data = data
        self.path = path
        if allowed is not None:
            unknown = sorted(set(data) - allowed)
            if unknown:
                raise ScenarioError(self.at(unknown[0]), "unknown field")

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if name in self.data and self.data[name] is not None:
            return self.data[name]
        if default is _MISSING:
            raise ScenarioError(self.at(name), "is required")
        return default

    def text(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(self.at(name), "must be a non-empty string")
        return value

    def integer(
        self, name: str, default: Any = _MISSING, minimum: int | None = None, maximum: int | None = None
    ) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.at(name), "must be an integer (minor units for amounts)")
        if abs(value) >= 10**MAX_DIGITS:
            raise ScenarioError(self.at(name), f"too large: at most {MAX_DIGITS} digits")
        if minimum is not None and value < minimum:
            raise ScenarioError(self.at(name), f"must be {minimum} or more")
        if maximum is not None and value > maximum:
            raise ScenarioError(self.at(name), f"must be {maximum} or less")
        return value

    def decimal(self, name: str, default: Any = _MISSING, minimum: Decimal | None = None) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            result = to_decimal(value)
        except MoneyError as error:
            raise ScenarioError(self.at(name), str(error)) from None
        if minimum is not None and result < minimum:
            raise ScenarioError(self.at(name), f"must be {minimum} or more")
        return result

    def label(self, name: str, default: str = "") -> str:
        """Free text that may be empty (a group, a unit, a prefix)."""
        value = self.raw(name, default)
        if not isinstance(value, str):
            raise ScenarioError(self.at(name), "must be a string")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise ScenarioError(self.at(name), "must be true or false")
        return value

    def day(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise ScenarioError(self.at(name), "must be an ISO date (YYYY-MM-DD)")
        try:
            result = date.fromisoformat(value)
        except ValueError:
            raise ScenarioError(self.at(name), f"not an ISO date (YYYY-MM-DD): {value!r}") from None
        return _in_range(result, self.at(name))

    def instant(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        return parse_instant(value, self.at(name))

    def choice(self, name: str, options: Callable[[str], T], default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return options(value)
        except ValueError:
            allowed = getattr(options, "__members__", None)
            names = ", ".join(m.value for m in allowed.values()) if allowed else ""
            raise ScenarioError(self.at(name), f"must be one of: {names}; got {value!r}") from None

    def items(self, name: str, default: Any = _MISSING) -> list[Any]:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return list(value)
        if not isinstance(value, list):
            raise ScenarioError(self.at(name), "must be a list")
        return value

    def lines(self, name: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.items(name, default)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ScenarioError(f"{self.at(name)}[{i}]", "must be a string")
        return tuple(value)


def parse_instant(value: Any, field: str) -> datetime:
    """An aware datetime from ISO 8601 text with an offset ('2026-03-01T12:00:00+01:00' or 'Z')."""
    if not isinstance(value, str):
        raise ScenarioError(field, "must be an ISO 8601 timestamp with an offset")
    try:
        result = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(field, f"not an ISO 8601 timestamp: {value!r}") from None
    if result.tzinfo is None or result.utcoffset() is None:
        raise ScenarioError(field, "needs a time zone offset (e.g. +01:00 or Z)")
    _in_range(result.date(), field)
    return result


# Periods, due dates and local midnights are computed around every date read: keep them all far
# from the ends of the calendar Python can represent.
FIRST_YEAR, LAST_YEAR = 1970, 2999


def _in_range(day: date, field: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ScenarioError(field, f"must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _check_zone(name: str, field: str) -> str:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        raise ScenarioError(field, f"unknown time zone {name!r}") from None
    return name


def _language(f: _Fields, name: str) -> str:
    value = f.text(name, "sv")
    if value not in ("sv", "en"):
        raise ScenarioError(f.at(name), f"must be 'sv' or 'en', got {value!r}")
    return str(value)


def _country(f: _Fields, name: str, default: str) -> str:
    value = f.text(name, default)
    if len(value) != 2 or not value.isalpha():
        raise ScenarioError(f.at(name), "must be a two-letter ISO country code")
    return str(value).upper()


def _currency(f: _Fields, name: str, default: Any = _MISSING) -> str:
    value = f.text(name, default)
    if len(value) != 3 or not value.isalpha():
        raise ScenarioError(f.at(name), "must be a three-letter ISO currency code")
    return str(value).upper()


# ---------------------------------------------------------------------------------------------------

_TENANT_FIELDS = frozenset(
    "tenant_id legal_name org_number vat_number address currency country payment_terms_days "
    "invoice_series_prefix bankgiro ocr_length_digit timezone f_tax email "
    "sector price_change_notice_months".split()
)


def parse_tenant_settings(data: Any, path: str = "tenant") -> TenantSettings:
    f = _Fields(data, path, _TENANT_FIELDS)
    return TenantSettings(
        tenant_id=f.text("tenant_id"),
        legal_name=f.text("legal_name"),
        org_number=f.text("org_number"),
        vat_number=f.text("vat_number"),
        address=f.lines("address"),
        currency=_currency(f, "currency", "SEK"),
        country=_country(f, "country", "SE"),
        payment_terms_days=f.integer("payment_terms_days", 30, minimum=0, maximum=365),
        invoice_series_prefix=f.label("invoice_series_prefix"),
        bankgiro=f.text("bankgiro", None),
        ocr_length_digit=f.flag("ocr_length_digit", False),
        timezone=_check_zone(f.text("timezone", "Europe/Stockholm"), f.at("timezone")),
        f_tax=f.flag("f_tax", True),
        email=f.text("email", None),
        **_price_change_settings(f),
    )


def _price_change_settings(f: _Fields) -> dict[str, Any]:
    """The sector's legal minimum notice of a price change bounds the tenant's own (price_change.py)."""
    from billing.domain.price_change import SECTOR_MINIMUM_MONTHS

    sector = f.text("sector", "")
    if sector and sector not in SECTOR_MINIMUM_MONTHS:
        raise ScenarioError(f.at("sector"), f"one of {', '.join(sorted(SECTOR_MINIMUM_MONTHS))} (or empty)")
    minimum = SECTOR_MINIMUM_MONTHS.get(sector, 0)
    months = f.integer("price_change_notice_months", max(1, minimum), minimum=0, maximum=24)
    if months < minimum:
        raise ScenarioError(
            f.at("price_change_notice_months"), f"the {sector} sector's legal minimum is {minimum} month(s)"
        )
    return {"sector": sector, "price_change_notice_months": months}


_CUSTOMER_FIELDS = frozenset(
    "id name address country language timezone vat_number is_business org_number reference email".split()
)


def parse_customer(data: Any, path: str = "customer") -> Customer:
    f = _Fields(data, path, _CUSTOMER_FIELDS)
    is_business = f.flag("is_business", False)
    return Customer(
        id=f.text("id"),
        name=f.text("name"),
        address=f.lines("address"),
        country=_country(f, "country", "SE"),
        language=_language(f, "language"),
        timezone=_check_zone(f.text("timezone", "Europe/Stockholm"), f.at("timezone")),
        vat_number=f.text("vat_number", None),
        is_business=is_business,
        org_number=f.text("org_number", None),
        reference=f.text("reference", None),
        email=f.text("email", None),
    )


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


_SUBSCRIPTION_FIELDS = frozenset("id customer_id anchor anchor_date phases end_date cancelled_on".split())


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
    )


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


# ---------------------------------------------------------------------------------------------------
# A whole quote scenario (what `billing quote` reads)

ACTIONS = ("invoice", "preview", "plan_change", "one_off", "credit_note")
_SCENARIO_FIELDS = frozenset(
    "description action tenant catalog customer subscription events coupons balance period_start "
    "issue_date as_of plan_change one_off credit_notes number compare_plans expected".split()
)


def _events(f: _Fields, customer: Customer) -> list[UsageEvent]:
    events = []
    seen: dict[str, UsageEvent] = {}
    for i, raw in enumerate(f.items("events", [])):
        path = f"{f.at('events')}[{i}]"
        event = parse_usage_event(raw, path)
        if event.customer_id != customer.id:
            raise ScenarioError(f"{path}.customer_id", f"is not the scenario's customer {customer.id!r}")
        earlier = seen.get(event.id)
        if earlier is not None and earlier != event:
            raise ScenarioError(f"{path}.id", f"two different events share the id {event.id!r}")
        seen[event.id] = event
        events.append(event)
    return events


@dataclass(frozen=True)
class _Common:
    """The parts every action reads."""

    fields: _Fields
    tenant: TenantSettings
    catalog: Catalog
    customer: Customer
    number: int | None
    balance: int
    coupons: list[Coupon]

    def numbered(self, invoice: Invoice, n: int | None) -> Invoice:
        """The invoice with number `n` of the tenant's series and its OCR, as the store would set them."""
        if n is None:
            return invoice
        printed = format_invoice_number(self.tenant.invoice_series_prefix, n)
        return invoice.with_number(printed, ocr_reference(str(n), self.tenant.ocr_length_digit))


def quote_scenario(data: Any) -> dict[str, Any]:
    """Run a quote scenario (docs/pricing.md) and return the JSON document `billing quote` prints."""
    f = _Fields(data, "", _SCENARIO_FIELDS)
    action = f.text("action", "invoice")
    if action not in ACTIONS:
        raise ScenarioError("action", f"must be one of: {', '.join(ACTIONS)}; got {action!r}")
    catalog = parse_catalog(f.raw("catalog"), "catalog")
    coupons = [parse_coupon(raw, f"coupons[{i}]") for i, raw in enumerate(f.items("coupons", []))]
    for i, coupon in enumerate(coupons):
        if coupon.charge_code and not any(p.charge(coupon.charge_code) for p in catalog.plans.values()):
            raise ScenarioError(f"coupons[{i}].charge", f"no plan has a charge {coupon.charge_code!r}")
    common = _Common(
        fields=f,
        tenant=parse_tenant_settings(f.raw("tenant"), "tenant"),
        catalog=catalog,
        customer=parse_customer(f.raw("customer"), "customer"),
        number=f.integer("number", None, minimum=1),
        balance=f.integer("balance", 0, minimum=0),
        coupons=coupons,
    )
    if action == "one_off":
        return _quote_one_off(common)
    subscription = parse_subscription(f.raw("subscription"), "subscription")
    if subscription.customer_id != common.customer.id:
        raise ScenarioError(
            "subscription.customer_id", f"is not the scenario's customer {common.customer.id!r}"
        )
    for i, phase in enumerate(subscription.phases):
        if phase.plan_code not in catalog.plans:
            raise ScenarioError(f"subscription.phases[{i}].plan", f"unknown plan {phase.plan_code!r}")
    events = _events(f, common.customer)
    if action == "plan_change":
        return _quote_plan_change(common, subscription)
    if action == "preview":
        return _quote_preview(common, subscription, events)
    invoice, document = _quote_invoice(common, subscription, events)
    if action == "invoice":
        return document
    return {"invoice": document, "credit_notes": _quote_credit_notes(common, invoice)}


def _quote_one_off(common: _Common) -> dict[str, Any]:
    o = _Fields(
        common.fields.raw("one_off"), "one_off", frozenset({"reference", "issue_date", "currency", "items"})
    )
    items = [parse_one_off_item(raw, f"one_off.items[{i}]") for i, raw in enumerate(o.items("items"))]
    if not items:
        raise ScenarioError("one_off.items", "needs at least one item")
    for i, item in enumerate(items):
        if item.vat_rate is None and not common.catalog.vat_schedule.knows(item.vat_category):
            raise ScenarioError(
                f"one_off.items[{i}].vat_category", f"unknown VAT category {item.vat_category!r}"
            )
    invoice = one_off_invoice(
        tenant=common.tenant,
        catalog=common.catalog,
        customer=common.customer,
        items=items,
        issue_date=o.day("issue_date"),
        reference=o.text("reference"),
        currency=_currency(o, "currency", None) if "currency" in o.data else None,
        balance=common.balance,
    )
    return common.numbered(invoice, common.number).to_dict()


def _quote_plan_change(common: _Common, subscription: Subscription) -> dict[str, Any]:
    c = _Fields(common.fields.raw("plan_change"), "plan_change", frozenset({"plan", "date"}))
    new_plan = c.text("plan")
    if new_plan not in common.catalog.plans:
        raise ScenarioError("plan_change.plan", f"unknown plan {new_plan!r}")
    try:
        quote = quote_plan_change(
            tenant=common.tenant,
            catalog=common.catalog,
            customer=common.customer,
            subscription=subscription,
            new_plan_code=new_plan,
            requested_on=c.day("date"),
        )
    except ScenarioError as error:
        # The engine names its arguments; the scenario calls them plan_change.date and .plan.
        renamed = {
            "requested_on": "plan_change.date",
            "change_date": "plan_change.date",
            "new_plan": "plan_change.plan",
        }
        raise ScenarioError(renamed.get(error.field, error.field), error.reason) from None
    return {
        "effective_date": quote.effective_date.isoformat(),
        "immediate": quote.immediate,
        "due_now": quote.due_now,
        "new_recurring_per_period": quote.new_recurring_per_period,
        "invoice": common.numbered(quote.invoice, common.number).to_dict() if quote.invoice else None,
    }


def _quote_preview(common: _Common, subscription: Subscription, events: list[UsageEvent]) -> dict[str, Any]:
    invoice = preview_invoice(
        tenant=common.tenant,
        catalog=common.catalog,
        customer=common.customer,
        subscription=subscription,
        events=events,
        as_of=common.fields.instant("as_of"),
        coupons=common.coupons,
        balance=common.balance,
    )
    return invoice.to_dict()


def _quote_invoice(
    common: _Common, subscription: Subscription, events: list[UsageEvent]
) -> tuple[Invoice, dict[str, Any]]:
    f, catalog = common.fields, common.catalog
    invoice = compute_invoice(
        tenant=common.tenant,
        catalog=catalog,
        customer=common.customer,
        subscription=subscription,
        events=events,
        period_start=f.day("period_start"),
        coupons=common.coupons,
        balance=common.balance,
        issue_date=f.day("issue_date", None),
    )
    _check_period(invoice, subscription, catalog)
    invoice = common.numbered(invoice, common.number)
    document = invoice.to_dict()
    compare = f.lines("compare_plans", [])
    if compare and invoice.period is not None:
        # Plan fit looks at the period whose usage this invoice bills: the one before its period.
        first = catalog.plans[subscription.phases[0].plan_code]
        usage_period = previous_period(
            invoice.period, first.interval, subscription.anchor, subscription.anchor_day
        )
        fit = {}
        for i, code in enumerate(compare):
            if code not in catalog.plans:
                raise ScenarioError(f"compare_plans[{i}]", f"unknown plan {code!r}")
            fit[code] = reprice(
                plan=catalog.plans[code],
                events=events,
                period=usage_period,
                customer=common.customer,
                catalog=catalog,
            )
        document["extra"] = {**document["extra"], "plan_fit": fit, "plan_fit_period": usage_period.to_dict()}
    return invoice, document


# An invoice is issued on or near the start of its period; an issue date further than this from it is a
# typing error (1971 for 2026), and would give a due date decades away.
MAX_ISSUE_DISTANCE_DAYS = 366


def _check_period(invoice: Invoice, subscription: Subscription, catalog: Catalog) -> None:
    """The quoted period must bill something of the subscription: its own days, or (in arrears) the
    usage of the period before it; and the issue date must be near the period."""
    period = invoice.period
    if period is None:
        return
    start = subscription.phases[0].start
    if period.end <= start:
        raise ScenarioError(
            "period_start", f"the period {period.label()} ends before the subscription starts on {start}"
        )
    end = subscription.end_date
    if end is not None:
        first = catalog.plans[subscription.phases[0].plan_code]
        before = previous_period(period, first.interval, subscription.anchor, subscription.anchor_day)
        if before.start >= end:
            raise ScenarioError(
                "period_start", f"the period {period.label()} is after the subscription ended on {end}"
            )
    distance = max((period.start - invoice.issue_date).days, (invoice.issue_date - period.end).days)
    if distance > MAX_ISSUE_DISTANCE_DAYS:
        raise ScenarioError(
            "issue_date",
            f"{invoice.issue_date} is more than {MAX_ISSUE_DISTANCE_DAYS} days from the period "
            f"{period.label()}",
        )


def _quote_credit_notes(common: _Common, invoice: Invoice) -> list[dict[str, Any]]:
    notes: list[Invoice] = []
    for i, raw in enumerate(common.fields.items("credit_notes")):
        path = f"credit_notes[{i}]"
        c = _Fields(raw, path, frozenset({"issue_date", "lines", "reason"}))
        lines = c.raw("lines", None)
        if lines is not None and not isinstance(lines, Mapping):
            raise ScenarioError(f"{path}.lines", "must be an object of line id -> amount, or null for all")
        try:
            note = credit_note(
                invoice,
                issue_date=c.day("issue_date"),
                amounts=dict(lines) if lines is not None else None,
                previous=notes,
                reason=c.label("reason"),
            )
        except CreditError as error:
            # The engine calls them amounts; the scenario calls them lines.
            field = error.field.replace("amounts", "lines", 1)
            raise ScenarioError(f"{path}.{field}", error.reason) from None
        # Credit notes take the numbers after the invoice's in the same series.
        notes.append(common.numbered(note, common.number + i + 1 if common.number is not None else None))
    if not notes:
        raise ScenarioError("credit_notes", "needs at least one credit note")
    return [n.to_dict() for n in notes]
