"""The entry points: period invoice, preview, plan change (invoice and quote), one-off, repricing.

See the package docstring for what a period invoice contains. Every entry point runs its arithmetic in
the calculation context of `billing.domain.money`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

from billing.domain.catalog import Catalog, Coupon, OneOffItem, Plan, Subscription
from billing.domain.invoice import ONE_OFF, PERIOD, PLAN_CHANGE, PREVIEW, Invoice
from billing.domain.money import calculation_context, round_minor
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import Period, period_containing, previous_period
from billing.domain.pricing.context import (
    LineDraft,
    PricingContext,
    make_context,
    make_context_for,
    text,
    vat_rate_on,
)
from billing.domain.pricing.lines import (
    advance_fees,
    apply_coupons,
    commitment_true_up,
    fee_lines,
    unused_days_credit,
    usage_cost,
    usage_for,
)
from billing.domain.pricing.totals import finish_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.usage import UsageEvent, by_metric, canonical
from billing.domain.vat import DOMESTIC, VatSchedule


def compute_invoice(
    *,
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    events: Iterable[UsageEvent],
    period_start: date,
    coupons: Sequence[Coupon] = (),
    balance: int = 0,
    issue_date: date | None = None,
    usage_until: datetime | None = None,
    kind: str = PERIOD,
) -> Invoice:
    """The invoice for the billing period that contains `period_start` (see the package docstring).

    `events` may include events of any time (earlier ones give a weighted sum its opening level).
    `usage_until` cuts the previous period's usage at an instant (a preview). `balance` is the
    customer's credit in minor units (>= 0), applied to the total but never below zero.
    """
    with localcontext(calculation_context()):
        first_plan = _plan(catalog, subscription.phases[0].plan_code, "subscription.phases[0].plan")
        _check_subscription(catalog, subscription, first_plan)
        ctx = make_context(tenant, catalog, customer, first_plan.currency)
        interval, anchor, anchor_day = first_plan.interval, subscription.anchor, subscription.anchor_day
        period = period_containing(period_start, interval, anchor, anchor_day)
        previous = previous_period(period, interval, anchor, anchor_day)
        mine = canonical(e for e in events if e.customer_id == customer.id)

        drafts: list[LineDraft] = []
        drafts += advance_fees(ctx, catalog, subscription, period)
        arrears = usage_for(ctx, catalog, subscription, previous, mine, usage_until)
        drafts += arrears
        drafts += unused_days_credit(ctx, catalog, subscription, previous)
        drafts += commitment_true_up(ctx, catalog, subscription, previous, arrears)
        drafts = apply_coupons(ctx, drafts, coupons)
        issued = issue_date or period.start
        return finish_invoice(
            tenant=tenant,
            customer=customer,
            ctx=ctx,
            drafts=drafts,
            kind=kind,
            key_date=period.start,
            period=period,
            issue_date=issued,
            balance=balance,
            subscription_id=subscription.id,
        )


def preview_invoice(
    *,
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    events: Iterable[UsageEvent],
    as_of: datetime,
    coupons: Sequence[Coupon] = (),
    balance: int = 0,
) -> Invoice:
    """The invoice so far: next period's invoice with this period's usage up to `as_of`."""
    tz = ZoneInfo(customer.timezone)
    plan = _plan(catalog, subscription.phases[0].plan_code, "subscription.phases[0].plan")
    current = period_containing(
        as_of.astimezone(tz).date(), plan.interval, subscription.anchor, subscription.anchor_day
    )
    return compute_invoice(
        tenant=tenant,
        catalog=catalog,
        customer=customer,
        subscription=subscription,
        events=events,
        period_start=current.end,
        coupons=coupons,
        balance=balance,
        issue_date=as_of.astimezone(tz).date(),
        usage_until=as_of,
        kind=PREVIEW,
    )


def plan_change_invoice(
    *,
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    new_plan_code: str,
    change_date: date,
) -> Invoice:
    """The invoice for an immediate plan change on `change_date` (a local date inside a period).

    Credits the old plan's recurring fees for the days left in the period and charges the new plan's
    for the same days; usage stays on the next period invoice, split at the change.
    """
    with localcontext(calculation_context()):
        old_code = subscription.plan_code_on(change_date)
        if old_code is None:
            raise ScenarioError("change_date", "the subscription is not active on that day")
        old = _plan(catalog, old_code, "subscription.phases")
        new = _plan(catalog, new_plan_code, "new_plan")
        ctx = make_context(tenant, catalog, customer, old.currency)
        if new.interval is not old.interval or new.currency != old.currency:
            raise ScenarioError("new_plan", "must have the same interval and currency as the current plan")
        period = period_containing(change_date, old.interval, subscription.anchor, subscription.anchor_day)
        stop = period.end if subscription.end_date is None else min(period.end, subscription.end_date)
        drafts: list[LineDraft] = []
        if change_date < stop:
            for charge in old.charges:
                if charge.is_recurring_fee:
                    drafts += fee_lines(
                        ctx, charge, period, change_date, stop, sign=-1, prefix=text(ctx.language, "unused")
                    )
            for charge in new.charges:
                if charge.is_recurring_fee:
                    drafts += fee_lines(
                        ctx, charge, period, change_date, stop, sign=1, prefix=text(ctx.language, "remaining")
                    )
        invoice = finish_invoice(
            tenant=tenant,
            customer=customer,
            ctx=ctx,
            drafts=drafts,
            kind=PLAN_CHANGE,
            key_date=change_date,
            period=Period(change_date, stop) if change_date < stop else period,
            issue_date=change_date,
            balance=0,
            subscription_id=subscription.id,
        )
        return replace(invoice, extra={"old_plan": old.code, "new_plan": new.code})


@dataclass(frozen=True)
class PlanChangeQuote:
    """What changing plan would cost: `due_now` (incl. VAT) on `effective_date`; `invoice` when > 0 days."""

    effective_date: date
    immediate: bool
    due_now: int
    invoice: Invoice | None
    new_recurring_per_period: int  # the new plan's recurring fees per full period, excl. VAT


def quote_plan_change(
    *,
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    new_plan_code: str,
    requested_on: date,
) -> PlanChangeQuote:
    """Upgrade now (prorated), downgrade at period end (nothing now): which one it is and what it costs.

    An upgrade is a change to a plan whose recurring fees per period are at least the current plan's.
    While a pause holds the fees, either takes effect on the day the subscription resumes.
    """
    old_code = subscription.plan_code_on(requested_on)
    if old_code is None:
        raise ScenarioError("requested_on", "the subscription is not active on that day")
    old = _plan(catalog, old_code, "subscription.phases")
    new = _plan(catalog, new_plan_code, "new_plan")
    new_fees = sum(c.amount for c in new.charges if c.is_recurring_fee)
    old_fees = sum(c.amount for c in old.charges if c.is_recurring_fee)
    held = subscription.paused_on(requested_on)
    if held is not None:
        # Paused: no fee was billed for these days, so none is prorated; any change waits for the resume.
        return PlanChangeQuote(held.end, False, 0, None, new_fees)
    if new_fees >= old_fees:
        invoice = plan_change_invoice(
            tenant=tenant,
            catalog=catalog,
            customer=customer,
            subscription=subscription,
            new_plan_code=new_plan_code,
            change_date=requested_on,
        )
        return PlanChangeQuote(requested_on, True, invoice.amount_due, invoice, new_fees)
    period = period_containing(requested_on, old.interval, subscription.anchor, subscription.anchor_day)
    return PlanChangeQuote(period.end, False, 0, None, new_fees)


def one_off_invoice(
    *,
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    items: Sequence[OneOffItem],
    issue_date: date,
    reference: str,
    currency: str | None = None,
    balance: int = 0,
) -> Invoice:
    """An invoice of free-form items (set-up fee, consulting). `reference` makes its id unique."""
    with localcontext(calculation_context()):
        ctx = make_context(tenant, catalog, customer, currency or tenant.currency)
        drafts = []
        for item in items:
            rate = vat_rate_on(ctx, item.vat_rate, item.vat_category, issue_date)
            drafts.append(
                LineDraft(
                    kind="item",
                    description=item.description,
                    quantity=item.quantity,
                    unit=item.unit,
                    unit_price=item.unit_price,
                    amount=item.quantity * item.unit_price,
                    charge_code=item.code,
                    group=item.group,
                    vat_rate=rate,
                    period=item.period,
                )
            )
        if sum((d.amount for d in drafts), Decimal(0)) < 0:
            # Money back to the customer is a credit note, which must name the invoice it corrects.
            raise ScenarioError("one_off.items", "add up to less than zero: issue a credit note instead")
        return finish_invoice(
            tenant=tenant,
            customer=customer,
            ctx=ctx,
            drafts=drafts,
            kind=ONE_OFF,
            key_date=issue_date,
            key_suffix=reference,
            period=None,
            issue_date=issue_date,
            balance=balance,
            subscription_id=None,
        )


class Repricing:
    """One customer's usage in some periods, priced on any plan excl. VAT (full-period fees): what
    plan-fit advice compares. The events are made canonical and grouped by metric once per period, not
    once per plan, since advice prices the same usage on every plan on sale."""

    def __init__(
        self,
        *,
        usage: Iterable[tuple[Period, Iterable[UsageEvent]]],
        customer: Customer,
        catalog: Catalog | None = None,
    ) -> None:
        self.customer = customer
        self.schedule = catalog.vat_schedule if catalog else VatSchedule(categories={})
        self.periods = [
            (period, by_metric(canonical(e for e in events if e.customer_id == customer.id)))
            for period, events in usage
        ]
        self._contexts: dict[str, PricingContext] = {}

    def total(self, plan: Plan) -> int:
        """What the periods' usage would cost on `plan`, summed over the periods."""
        with localcontext(calculation_context()):
            ctx = self._context(plan.currency)
            return sum(self._period_cost(ctx, plan, period, groups) for period, groups in self.periods)

    def _context(self, currency: str) -> PricingContext:
        if currency not in self._contexts:
            # Plan fit compares prices before VAT, so the customer's VAT treatment does not matter here.
            ctx = make_context_for(self.customer, self.schedule, currency)
            self._contexts[currency] = replace(ctx, treatment=DOMESTIC)
        return self._contexts[currency]

    @staticmethod
    def _period_cost(
        ctx: PricingContext, plan: Plan, period: Period, groups: dict[str, list[UsageEvent]]
    ) -> int:
        total = 0
        for charge in plan.charges:
            if charge.is_recurring_fee:
                drafts = fee_lines(ctx, charge, period, period.start, period.end, sign=1, prefix=None)
                total += sum(round_minor(d.amount) for d in drafts)
            else:
                metered = groups.get(charge.metric, []) if charge.metric else []
                total += usage_cost(ctx, charge, period, metered)
        if plan.minimum_commitment is not None:
            total = max(total, plan.minimum_commitment)
        return total


def reprice(
    *,
    plan: Plan,
    events: Iterable[UsageEvent],
    period: Period,
    customer: Customer,
    catalog: Catalog | None = None,
) -> int:
    """What `period`'s usage would cost excl. VAT on `plan` (full-period fees): plan-fit advice."""
    return Repricing(usage=[(period, events)], customer=customer, catalog=catalog).total(plan)


def _plan(catalog: Catalog, code: str, field: str) -> Plan:
    plan = catalog.plans.get(code)
    if plan is None:
        raise ScenarioError(field, f"unknown plan {code!r}")
    return plan


def _check_subscription(catalog: Catalog, subscription: Subscription, first: Plan) -> None:
    for i, phase in enumerate(subscription.phases):
        plan = _plan(catalog, phase.plan_code, f"subscription.phases[{i}].plan")
        if plan.interval is not first.interval:
            raise ScenarioError(f"subscription.phases[{i}].plan", "all plans must share one interval")
        if plan.currency != first.currency:
            raise ScenarioError(f"subscription.phases[{i}].plan", "all plans must share one currency")
