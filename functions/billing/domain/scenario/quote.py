"""A whole quote scenario (what `billing quote` reads): its parts parsed, the action run, the
result as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing.domain.catalog import (
    Catalog,
    Coupon,
    Subscription,
)
from billing.domain.credit import credit_note
from billing.domain.invoice import Invoice, format_invoice_number
from billing.domain.ocr import ocr_reference
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import previous_period
from billing.domain.pricing import (
    compute_invoice,
    one_off_invoice,
    preview_invoice,
    quote_plan_change,
    reprice,
)
from billing.domain.pricing_errors import CreditError, ScenarioError
from billing.domain.scenario.catalog import parse_catalog, parse_one_off_item
from billing.domain.scenario.fields import _currency, _Fields
from billing.domain.scenario.parties import parse_customer, parse_tenant_settings
from billing.domain.scenario.subscriptions import parse_coupon, parse_subscription
from billing.domain.scenario.usage_events import parse_usage_event
from billing.domain.usage import UsageEvent

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
