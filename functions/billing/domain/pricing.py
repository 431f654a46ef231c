"""The pricing engine: a subscription's charges, usage, coupons and balance -> an invoice.

The invoice for billing period P (kind "period", issued on P's first day) carries:
  1. recurring fees for P, in advance, for the plan active when P (or the subscription) starts,
     prorated by days when the subscription starts inside P or its end was decided before P began;
  2. usage charges for the previous period, in arrears, per plan that was active (split at changes);
  3. a credit for the unused days of the previous period when the subscription ended inside it after
     that period had been billed in full;
  4. a minimum-commitment true-up for the previous period;
  5. coupon discounts;
then VAT per rate, SEK rounding to whole kronor, the customer's credit balance.

A plan change "now" (upgrade) is billed by its own invoice (`plan_change_invoice`): credit for the old
plan's unused days, charge for the new plan's remaining days. A downgrade takes effect when the period
ends, so it costs nothing now. Everything here is pure: dates and instants are passed in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal, localcontext
from zoneinfo import ZoneInfo

from billing.domain.catalog import (
    Aggregation,
    Catalog,
    Charge,
    ChargeModel,
    Coupon,
    OneOffItem,
    Plan,
    Subscription,
    Tier,
)
from billing.domain.invoice import (
    ONE_OFF,
    PERIOD,
    PLAN_CHANGE,
    PREVIEW,
    Invoice,
    InvoiceLine,
    Party,
    VatSummary,
    invoice_id,
)
from billing.domain.money import (
    allocate,
    calculation_context,
    decimal_str,
    exponent,
    format_amount,
    is_cash_rounded,
    round_minor,
    round_to_major,
)
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import (
    Period,
    days_text,
    local_midnight,
    period_containing,
    previous_period,
)
from billing.domain.pricing_errors import ScenarioError
from billing.domain.usage import UsageEvent, aggregate, canonical, in_window, relevant
from billing.domain.vat import (
    DOMESTIC,
    OUTSIDE_EU,
    OUTSIDE_EU_NOTE,
    REVERSE_CHARGE,
    REVERSE_CHARGE_NOTE,
    VatSchedule,
    rate_str,
    vat_amount,
    vat_treatment,
)

_TEXT = {
    "sv": {
        "unused": "Outnyttjad tid",
        "remaining": "Återstående tid",
        "commitment": "Minimiåtagande",
        "minimum": "Minimibelopp",
        "maximum": "Maxbelopp",
        "fixed_fee": "fast avgift per händelse",
        "per_event_limit": "min/max per händelse",
        "discount": "Rabatt",
        "of": "av",
        "blocks": "block om",
        "free": "fria",
        "vat": "moms",
        "f_tax": "Godkänd för F-skatt",
    },
    "en": {
        "unused": "Unused time",
        "remaining": "Remaining time",
        "commitment": "Minimum commitment",
        "minimum": "Minimum amount",
        "maximum": "Maximum amount",
        "fixed_fee": "fixed fee per event",
        "per_event_limit": "per-event min/max",
        "discount": "Discount",
        "of": "of",
        "blocks": "blocks of",
        "free": "free",
        "vat": "VAT",
        "f_tax": "Approved for F-tax",
    },
}


_LineMaker = Callable[[str, Decimal, str, Decimal, Decimal], "_Draft"]


def _t(language: str, key: str) -> str:
    return _TEXT.get(language, _TEXT["en"])[key]


@dataclass(frozen=True)
class _Draft:
    """A line before it has an id: exact amount, not yet rounded."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    charge_code: str | None
    group: str
    vat_rate: Decimal
    proration: str | None = None
    period: Period | None = None


@dataclass(frozen=True)
class _Context:
    """What every line needs to know besides its charge."""

    currency: str
    language: str
    tz: ZoneInfo
    schedule: VatSchedule
    treatment: str  # vat.DOMESTIC, REVERSE_CHARGE or OUTSIDE_EU

    @property
    def zero_rated(self) -> bool:
        return self.treatment != DOMESTIC


# ---------------------------------------------------------------------------------------------------
# Public entry points


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
    """The invoice for the billing period that contains `period_start` (see the module docstring).

    `events` may include events of any time (earlier ones give a weighted sum its opening level).
    `usage_until` cuts the previous period's usage at an instant (a preview). `balance` is the
    customer's credit in minor units (>= 0), applied to the total but never below zero.
    """
    with localcontext(calculation_context()):
        first_plan = _plan(catalog, subscription.phases[0].plan_code, "subscription.phases[0].plan")
        _check_subscription(catalog, subscription, first_plan)
        ctx = _context(tenant, catalog, customer, first_plan.currency)
        interval, anchor, anchor_day = first_plan.interval, subscription.anchor, subscription.anchor_day
        period = period_containing(period_start, interval, anchor, anchor_day)
        previous = previous_period(period, interval, anchor, anchor_day)
        mine = canonical(e for e in events if e.customer_id == customer.id)

        drafts: list[_Draft] = []
        drafts += _advance_fees(ctx, catalog, subscription, period)
        arrears = _usage_for(ctx, catalog, subscription, previous, mine, usage_until)
        drafts += arrears
        drafts += _unused_days_credit(ctx, catalog, subscription, previous)
        drafts += _commitment_true_up(ctx, catalog, subscription, previous, arrears)
        drafts = _apply_coupons(ctx, drafts, coupons, previous.end)
        issued = issue_date or period.start
        return _finish(
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
        ctx = _context(tenant, catalog, customer, old.currency)
        if new.interval is not old.interval or new.currency != old.currency:
            raise ScenarioError("new_plan", "must have the same interval and currency as the current plan")
        period = period_containing(change_date, old.interval, subscription.anchor, subscription.anchor_day)
        stop = period.end if subscription.end_date is None else min(period.end, subscription.end_date)
        drafts: list[_Draft] = []
        if change_date < stop:
            for charge in old.charges:
                if charge.is_recurring_fee:
                    drafts += _fee_lines(
                        ctx, charge, period, change_date, stop, sign=-1, prefix=_t(ctx.language, "unused")
                    )
            for charge in new.charges:
                if charge.is_recurring_fee:
                    drafts += _fee_lines(
                        ctx, charge, period, change_date, stop, sign=1, prefix=_t(ctx.language, "remaining")
                    )
        invoice = _finish(
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
    """
    old_code = subscription.plan_code_on(requested_on)
    if old_code is None:
        raise ScenarioError("requested_on", "the subscription is not active on that day")
    old = _plan(catalog, old_code, "subscription.phases")
    new = _plan(catalog, new_plan_code, "new_plan")
    new_fees = sum(c.amount for c in new.charges if c.is_recurring_fee)
    old_fees = sum(c.amount for c in old.charges if c.is_recurring_fee)
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
        ctx = _context(tenant, catalog, customer, currency or tenant.currency)
        drafts = []
        for item in items:
            rate = _rate(ctx, item.vat_rate, item.vat_category, issue_date)
            drafts.append(
                _Draft(
                    kind="item",
                    description=item.description,
                    quantity=item.quantity,
                    unit=item.unit,
                    unit_price=item.unit_price,
                    amount=item.quantity * item.unit_price,
                    charge_code=item.code,
                    group=item.group,
                    vat_rate=rate,
                )
            )
        return _finish(
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


def reprice(
    *,
    plan: Plan,
    events: Iterable[UsageEvent],
    period: Period,
    customer: Customer,
    catalog: Catalog | None = None,
) -> int:
    """What `period`'s usage would cost excl. VAT on `plan` (full-period fees): plan-fit advice."""
    with localcontext(calculation_context()):
        schedule = catalog.vat_schedule if catalog else VatSchedule(categories={})
        ctx = _Context(plan.currency, customer.language, ZoneInfo(customer.timezone), schedule, DOMESTIC)
        mine = canonical(e for e in events if e.customer_id == customer.id)
        drafts: list[_Draft] = []
        for charge in plan.charges:
            if charge.is_recurring_fee:
                drafts += _fee_lines(ctx, charge, period, period.start, period.end, sign=1, prefix=None)
            else:
                drafts += _charge_lines(ctx, charge, period, period.start, period.end, mine, None)
        total = sum(round_minor(d.amount) for d in drafts)
        if plan.minimum_commitment is not None:
            total = max(total, plan.minimum_commitment)
        return total


# ---------------------------------------------------------------------------------------------------
# Lines


def _context(tenant: TenantSettings, catalog: Catalog, customer: Customer, currency: str) -> _Context:
    try:
        tz = ZoneInfo(customer.timezone)
    except (KeyError, ValueError):
        raise ScenarioError("customer.timezone", f"unknown time zone {customer.timezone!r}") from None
    treatment = vat_treatment(
        seller_country=tenant.country,
        buyer_country=customer.country,
        buyer_is_business=customer.is_business,
        buyer_vat_number=customer.vat_number,
    )
    return _Context(currency, customer.language, tz, catalog.vat_schedule, treatment)


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


def _rate(ctx: _Context, fixed: Decimal | None, category: str, day: date) -> Decimal:
    if ctx.zero_rated:
        return Decimal(0)
    if fixed is not None:
        return fixed
    return ctx.schedule.rate_on(category, day)


def _vat_parts(ctx: _Context, fixed: Decimal | None, category: str, lo: date, hi: date) -> list[Period]:
    """[lo, hi) cut where the VAT rate of the category changes."""
    if ctx.zero_rated or fixed is not None:
        return [Period(lo, hi)]
    cuts = [lo, *ctx.schedule.change_dates(category, lo, hi), hi]
    return [Period(a, b) for a, b in itertools.pairwise(cuts) if a < b]


def _advance_fees(ctx: _Context, catalog: Catalog, sub: Subscription, period: Period) -> list[_Draft]:
    opens = max(period.start, sub.start_date)
    if opens >= period.end:
        return []
    closes = period.end
    if sub.end_date is not None and sub.end_known_on(opens):
        closes = min(closes, sub.end_date)
    if sub.end_date is not None and sub.end_date <= opens:
        return []
    if opens >= closes:
        return []
    code = sub.plan_code_on(opens)
    if code is None:
        return []
    plan = catalog.plan(code)
    drafts: list[_Draft] = []
    for charge in plan.charges:
        if charge.is_recurring_fee:
            drafts += _fee_lines(ctx, charge, period, opens, closes, sign=1, prefix=None)
    return drafts


def _fee_lines(
    ctx: _Context,
    charge: Charge,
    period: Period,
    lo: date,
    hi: date,
    *,
    sign: int,
    prefix: str | None,
) -> list[_Draft]:
    """The recurring fee for days [lo, hi) of `period`, one line per VAT rate in force."""
    drafts = []
    for part in _vat_parts(ctx, charge.vat_rate, charge.vat_category, lo, hi):
        full = part.days == period.days
        description = charge.name if prefix is None else f"{prefix}: {charge.name}"
        drafts.append(
            _Draft(
                kind="fee" if sign > 0 else "credit",
                description=description,
                quantity=Decimal(sign),
                unit=charge.unit,
                # The full period's price: the proration note says which part of it the amount is.
                unit_price=Decimal(charge.amount),
                amount=Decimal(sign * charge.amount) * part.days / period.days,
                charge_code=charge.code,
                group=charge.group,
                vat_rate=_rate(ctx, charge.vat_rate, charge.vat_category, part.start),
                proration=None if full else days_text(part.days, period.days, ctx.language),
                period=part,
            )
        )
    return drafts


def _usage_for(
    ctx: _Context,
    catalog: Catalog,
    sub: Subscription,
    period: Period,
    events: Sequence[UsageEvent],
    until: datetime | None,
) -> list[_Draft]:
    drafts: list[_Draft] = []
    for code, lo, hi in sub.segments(period.start, period.end):
        plan = catalog.plan(code)
        for charge in plan.charges:
            if not charge.is_recurring_fee:
                drafts += _charge_lines(ctx, charge, period, lo, hi, events, until)
    return drafts


def _charge_lines(
    ctx: _Context,
    charge: Charge,
    period: Period,
    lo: date,
    hi: date,
    events: Sequence[UsageEvent],
    until: datetime | None,
) -> list[_Draft]:
    """A usage charge for usage in local days [lo, hi) of `period`; split where the VAT rate changes."""
    mine = relevant(events, charge)
    period_from, period_to = local_midnight(period.start, ctx.tz), local_midnight(period.end, ctx.tz)
    start, end = local_midnight(lo, ctx.tz), local_midnight(hi, ctx.tz)
    if until is not None:
        end = max(start, min(end, until))
    quantity = aggregate(charge, mine, start, end, period_from, period_to)
    priced = _price(ctx, charge, quantity, in_window(mine, start, end))
    priced = _limit(ctx, charge, priced, Period(lo, hi), period)
    label = Period(lo, hi)
    parts = _vat_parts(ctx, charge.vat_rate, charge.vat_category, lo, hi)
    if len(parts) == 1:
        rate = _rate(ctx, charge.vat_rate, charge.vat_category, lo)
        return [replace(d, vat_rate=rate, period=label) for d in priced]
    # The rate changed inside the window: price once over the window (tiers see the whole quantity),
    # then give each part its share: by the usage metered in it for additive aggregations, else by days.
    additive = charge.aggregation in (Aggregation.COUNT, Aggregation.SUM) or charge.model is (
        ChargeModel.PERCENTAGE
    )
    weights: list[Decimal] = []
    for part in parts:
        if additive:
            p_start = local_midnight(part.start, ctx.tz)
            p_end = min(end, local_midnight(part.end, ctx.tz))
            weights.append(aggregate(charge, mine, p_start, max(p_start, p_end), period_from, period_to))
        else:
            weights.append(Decimal(part.days))
    total_weight = sum(weights, Decimal(0))
    drafts = []
    for draft in priced:
        shares = allocate(round_minor(draft.amount), weights)
        for part, weight, share in zip(parts, weights, shares, strict=True):
            fraction = weight / total_weight if total_weight else Decimal(part.days) / (hi - lo).days
            drafts.append(
                replace(
                    draft,
                    quantity=(draft.quantity * fraction).quantize(Decimal("0.0001")).normalize(),
                    amount=Decimal(share),
                    vat_rate=_rate(ctx, charge.vat_rate, charge.vat_category, part.start),
                    period=part,
                )
            )
    return drafts


def _price(ctx: _Context, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]) -> list[_Draft]:
    """The exact lines of one usage charge for `quantity` (percentage: for `events`)."""

    def line(description: str, qty: Decimal, unit: str, unit_price: Decimal, amount: Decimal) -> _Draft:
        return _Draft(
            kind="usage",
            description=description,
            quantity=qty,
            unit=unit,
            unit_price=unit_price,
            amount=amount,
            charge_code=charge.code,
            group=charge.group,
            vat_rate=Decimal(0),
        )

    name, unit = charge.name, charge.unit
    model = charge.model
    if model is ChargeModel.PER_UNIT:
        return [line(name, quantity, unit, charge.unit_price, quantity * charge.unit_price)]
    if model is ChargeModel.VOLUME:
        tier_index, tier = _tier_reached(charge, quantity)
        amount = quantity * tier.unit_price + (tier.flat_fee if quantity > 0 else 0)
        text = f"{name} ({_tier_text(ctx, charge, tier_index)})"
        return [line(text, quantity, unit, tier.unit_price, amount)]
    if model is ChargeModel.GRADUATED:
        if quantity <= 0:
            first = charge.tiers[0]
            text = f"{name} ({_tier_text(ctx, charge, 0)})"
            return [line(text, quantity, unit, first.unit_price, Decimal(0))]
        drafts = []
        lower = Decimal(0)
        for i, tier in enumerate(charge.tiers):
            if quantity <= lower:
                break
            upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
            in_tier = upper - lower
            amount = in_tier * tier.unit_price + tier.flat_fee
            text = f"{name} ({_tier_text(ctx, charge, i)})"
            drafts.append(line(text, in_tier, unit, tier.unit_price, amount))
            if tier.up_to is None:
                break
            lower = tier.up_to
        return drafts
    if model is ChargeModel.PACKAGE:
        billable = max(Decimal(0), quantity - charge.free_units)
        blocks = (billable / charge.package_size).to_integral_value(rounding=ROUND_CEILING)
        text = f"{name}: {decimal_str(quantity)} {unit}".rstrip()
        if charge.free_units:
            text += f" ({decimal_str(charge.free_units)} {_t(ctx.language, 'free')})"
        block_unit = f"{_t(ctx.language, 'blocks')} {decimal_str(charge.package_size)} {unit}".rstrip()
        return [line(text, blocks, block_unit, Decimal(charge.package_price), blocks * charge.package_price)]
    if model is ChargeModel.PERCENTAGE:
        return _percentage(ctx, charge, events, line)
    raise ScenarioError(f"charges.{charge.code}.model", f"{model} is not a usage model")


def _percentage(
    ctx: _Context, charge: Charge, events: Sequence[UsageEvent], make: _LineMaker
) -> list[_Draft]:
    minor_per_major = Decimal(10) ** exponent(ctx.currency)
    base = sum((e.number(charge.field) for e in events), Decimal(0))
    raw = [e.number(charge.field) * charge.percentage / 100 + charge.fixed_fee for e in events]
    limited = []
    for fee in raw:
        if charge.min_per_event is not None:
            fee = max(fee, charge.min_per_event)
        if charge.max_per_event is not None:
            fee = min(fee, charge.max_per_event)
        limited.append(fee)
    drafts = [
        make(
            f"{charge.name}: {decimal_str(charge.percentage)} %",
            base / minor_per_major,
            ctx.currency,
            charge.percentage * minor_per_major / 100,
            base * charge.percentage / 100,
        )
    ]
    if charge.fixed_fee:
        drafts.append(
            make(
                f"{charge.name}: {_t(ctx.language, 'fixed_fee')}",
                Decimal(len(events)),
                charge.unit,
                charge.fixed_fee,
                charge.fixed_fee * len(events),
            )
        )
    adjustment = sum(limited, Decimal(0)) - sum(raw, Decimal(0))
    if adjustment:
        drafts.append(
            make(
                f"{charge.name}: {_t(ctx.language, 'per_event_limit')}",
                Decimal(1),
                "",
                Decimal(round_minor(adjustment)),
                adjustment,
            )
        )
    return drafts


def _tier_reached(charge: Charge, quantity: Decimal) -> tuple[int, Tier]:
    for i, tier in enumerate(charge.tiers):
        if tier.up_to is None or quantity <= tier.up_to:
            return i, tier
    return len(charge.tiers) - 1, charge.tiers[-1]


def _tier_text(ctx: _Context, charge: Charge, index: int) -> str:
    """'1–1000', '1001–10000', '10001+' for whole-unit bounds; '(2.5, 10]' style bounds stay exact."""
    previous = charge.tiers[index - 1].up_to if index else Decimal(0)
    lower = previous if previous is not None else Decimal(0)
    upper = charge.tiers[index].up_to
    if lower == lower.to_integral_value():
        low_text = decimal_str(lower + 1)
    else:
        low_text = f"> {decimal_str(lower)}"
    if upper is None:
        return f"{low_text}+"
    return f"{low_text}–{decimal_str(upper)}"


def _limit(
    ctx: _Context, charge: Charge, drafts: list[_Draft], window: Period, period: Period
) -> list[_Draft]:
    """The charge's min/max per period, prorated when the plan was active for part of the period."""
    if charge.min_amount is None and charge.max_amount is None:
        return drafts
    share = Decimal(window.days) / period.days
    total = sum((d.amount for d in drafts), Decimal(0))
    if charge.min_amount is not None and total < charge.min_amount * share:
        target, key = charge.min_amount * share, "minimum"
    elif charge.max_amount is not None and total > charge.max_amount * share:
        target, key = charge.max_amount * share, "maximum"
    else:
        return drafts
    difference = target - total
    adjustment = _Draft(
        kind="adjustment",
        description=f"{_t(ctx.language, key)}: {charge.name}",
        quantity=Decimal(1),
        unit="",
        unit_price=Decimal(round_minor(difference)),
        amount=difference,
        charge_code=charge.code,
        group=charge.group,
        vat_rate=Decimal(0),
        proration=None if window.days == period.days else days_text(window.days, period.days, ctx.language),
    )
    return [*drafts, adjustment]


def _unused_days_credit(ctx: _Context, catalog: Catalog, sub: Subscription, previous: Period) -> list[_Draft]:
    end = sub.end_date
    if end is None or not previous.start < end < previous.end:
        return []
    billed_from = max(previous.start, sub.start_date)
    if sub.end_known_on(billed_from):
        return []  # the end was known when the period was billed: it was prorated then
    code = sub.plan_code_on(end - timedelta(days=1))
    if code is None:
        return []
    drafts: list[_Draft] = []
    for charge in catalog.plan(code).charges:
        if charge.is_recurring_fee:
            drafts += _fee_lines(
                ctx, charge, previous, end, previous.end, sign=-1, prefix=_t(ctx.language, "unused")
            )
    return drafts


def _commitment_true_up(
    ctx: _Context, catalog: Catalog, sub: Subscription, previous: Period, usage: list[_Draft]
) -> list[_Draft]:
    """Top the previous period up to the plan's minimum commitment (prorated per plan and day).

    Compared with what the period cost in total: usage plus the recurring fees of each plan for the days
    it was active (that is what the period, plan-change and credit lines add up to).
    """
    commitment = Decimal(0)
    spent = sum((d.amount for d in usage), Decimal(0))
    last_day: date | None = None
    for code, lo, hi in sub.segments(previous.start, previous.end):
        plan = catalog.plan(code)
        share = Decimal((hi - lo).days) / previous.days
        if plan.minimum_commitment is not None:
            commitment += plan.minimum_commitment * share
        spent += sum((c.amount * share for c in plan.charges if c.is_recurring_fee), Decimal(0))
        last_day = hi - timedelta(days=1)
    if last_day is None or commitment <= spent:
        return []
    shortfall = commitment - spent
    rate = _rate(ctx, None, "standard", last_day)
    return [
        _Draft(
            kind="commitment",
            description=_t(ctx.language, "commitment"),
            quantity=Decimal(1),
            unit="",
            unit_price=Decimal(round_minor(shortfall)),
            amount=shortfall,
            charge_code=None,
            group="",
            vat_rate=rate,
            period=previous,
        )
    ]


def _apply_coupons(ctx: _Context, drafts: list[_Draft], coupons: Sequence[Coupon], day: date) -> list[_Draft]:
    """Discount lines, one per VAT rate of the discounted lines (a discount lowers each rate's base)."""
    result = list(drafts)
    for coupon in coupons:
        if not coupon.is_active:
            continue
        # What the coupon applies to, net of earlier discounts and credits, per VAT rate.
        eligible = [d for d in result if coupon.charge_code is None or d.charge_code == coupon.charge_code]
        by_rate: dict[Decimal, Decimal] = {}
        for d in eligible:
            by_rate[d.vat_rate] = by_rate.get(d.vat_rate, Decimal(0)) + d.amount
        by_rate = {rate: base for rate, base in by_rate.items() if base > 0}
        remaining_total = sum((d.amount for d in result), Decimal(0))
        base_total = sum(by_rate.values(), Decimal(0))
        if base_total <= 0 or remaining_total <= 0:
            continue
        if coupon.kind == "percentage":
            discount = round_minor(base_total * coupon.percent / 100)
        else:
            discount = coupon.amount
        discount = min(discount, round_minor(base_total), round_minor(remaining_total))
        if discount <= 0:
            continue
        rates = sorted(by_rate, reverse=True)
        parts = allocate(discount, [by_rate[r] for r in rates])
        label = coupon.name or coupon.code
        for rate, part in zip(rates, parts, strict=True):
            if part == 0:
                continue
            suffix = f" ({rate_str(rate)} % {_t(ctx.language, 'vat')})" if len(rates) > 1 else ""
            result.append(
                _Draft(
                    kind="discount",
                    description=f"{_t(ctx.language, 'discount')}: {label}{suffix}",
                    quantity=Decimal(1),
                    unit="",
                    unit_price=Decimal(-part),
                    amount=Decimal(-part),
                    charge_code=coupon.charge_code,
                    group="",
                    vat_rate=rate,
                )
            )
    return result


# ---------------------------------------------------------------------------------------------------
# Totals


def _finish(
    *,
    tenant: TenantSettings,
    customer: Customer,
    ctx: _Context,
    drafts: list[_Draft],
    kind: str,
    key_date: date,
    period: Period | None,
    issue_date: date,
    balance: int,
    subscription_id: str | None,
    key_suffix: str | None = None,
) -> Invoice:
    if balance < 0:
        raise ScenarioError("balance", "must be zero or more (a credit the customer has with us)")
    lines = tuple(
        InvoiceLine(
            line_id=str(i),
            kind=d.kind,
            description=d.description,
            quantity=decimal_str(d.quantity),
            unit=d.unit,
            unit_price=decimal_str(d.unit_price),
            amount=round_minor(d.amount),
            vat_rate=rate_str(d.vat_rate),
            charge_code=d.charge_code,
            group=d.group,
            proration=d.proration,
            period=d.period,
        )
        for i, d in enumerate(drafts, start=1)
    )
    vat = summarise_vat(lines)
    subtotal = sum(x.amount for x in lines)
    vat_total = sum(v.vat for v in vat)
    gross = subtotal + vat_total
    rounding = round_to_major(gross, ctx.currency) - gross if is_cash_rounded(ctx.currency) else 0
    total = gross + rounding
    applied = min(balance, max(total, 0))
    notes: list[str] = []
    if ctx.treatment == REVERSE_CHARGE:
        notes.append(REVERSE_CHARGE_NOTE.get(ctx.language, REVERSE_CHARGE_NOTE["en"]))
    elif ctx.treatment == OUTSIDE_EU:
        notes.append(OUTSIDE_EU_NOTE.get(ctx.language, OUTSIDE_EU_NOTE["en"]))
    if tenant.f_tax and tenant.country.upper() == "SE":
        notes.append(_t(ctx.language, "f_tax"))
    kind_key = kind if key_suffix is None else f"{kind}:{key_suffix}"
    return Invoice(
        invoice_id=invoice_id(tenant.tenant_id, customer.id, key_date, kind_key),
        kind=kind,
        tenant_id=tenant.tenant_id,
        customer_id=customer.id,
        subscription_id=subscription_id,
        currency=ctx.currency,
        language=ctx.language,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=tenant.payment_terms_days),
        payment_terms_days=tenant.payment_terms_days,
        bankgiro=tenant.bankgiro,
        period=period,
        seller=seller_party(tenant),
        buyer=buyer_party(customer),
        lines=lines,
        vat=vat,
        subtotal=subtotal,
        vat_total=vat_total,
        rounding=rounding,
        total=total,
        balance_applied=applied,
        amount_due=total - applied,
        reverse_charge=ctx.treatment == REVERSE_CHARGE,
        vat_treatment=ctx.treatment,
        notes=tuple(notes),
    )


def summarise_vat(lines: Sequence[InvoiceLine]) -> tuple[VatSummary, ...]:
    """VAT per rate, highest rate first: on the sum of the rounded line amounts, rounded once."""
    bases: dict[str, int] = {}
    for x in lines:
        bases[x.vat_rate] = bases.get(x.vat_rate, 0) + x.amount
    ordered = sorted(bases, key=lambda r: Decimal(r), reverse=True)
    return tuple(VatSummary(rate=r, base=bases[r], vat=vat_amount(bases[r], Decimal(r))) for r in ordered)


def seller_party(tenant: TenantSettings) -> Party:
    return Party(
        name=tenant.legal_name,
        address=tenant.address,
        country=tenant.country,
        org_number=tenant.org_number,
        vat_number=tenant.vat_number,
    )


def buyer_party(customer: Customer) -> Party:
    return Party(
        name=customer.name,
        address=customer.address,
        country=customer.country,
        org_number=customer.org_number,
        vat_number=customer.vat_number,
    )


def format_money(amount: int, currency: str) -> str:
    """'1234.56 SEK': for descriptions and the CLI, not for the invoice page (which localises)."""
    return f"{format_amount(amount, currency)} {currency}"
