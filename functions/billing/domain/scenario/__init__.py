"""Parsers from the JSON shapes of docs/pricing.md to domain objects; every error names its field.

The same shapes are a quote scenario's parts and what the stores keep in DynamoDB, so the worker and
`billing quote` build the engine's input with the same functions. Amounts are ints in minor units;
unit prices, quantities and rates are ints or decimal strings (never floats); dates are ISO dates;
instants are ISO 8601 with an offset.
"""

from billing.domain.scenario.catalog import (
    parse_catalog,
    parse_charge,
    parse_one_off_item,
    parse_plan,
    parse_vat_rates,
)
from billing.domain.scenario.fields import parse_instant
from billing.domain.scenario.parties import parse_customer, parse_tenant_settings
from billing.domain.scenario.quote import ACTIONS, MAX_ISSUE_DISTANCE_DAYS, quote_scenario
from billing.domain.scenario.subscriptions import parse_coupon, parse_subscription
from billing.domain.scenario.usage_events import parse_usage_event

__all__ = [
    "ACTIONS",
    "MAX_ISSUE_DISTANCE_DAYS",
    "parse_catalog",
    "parse_charge",
    "parse_coupon",
    "parse_customer",
    "parse_instant",
    "parse_one_off_item",
    "parse_plan",
    "parse_subscription",
    "parse_tenant_settings",
    "parse_usage_event",
    "parse_vat_rates",
    "quote_scenario",
]
