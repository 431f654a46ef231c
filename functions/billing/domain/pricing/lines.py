"""The lines of a period invoice: recurring fees, usage, unused days, commitment true-up, coupons.

Each function returns exact `LineDraft`s; nothing here rounds except where a share must be whole
(a usage charge split across a VAT change, a discount split across rates: largest remainder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.domain.catalog import Aggregation, Catalog, Charge, ChargeModel, Coupon, Subscription
from billing.domain.money import allocate, round_minor
from billing.domain.periods import Period, days_text, local_midnight
from billing.domain.pricing.charge_models import price_usage
from billing.domain.pricing.context import LineDraft, PricingContext, text, vat_parts, vat_rate_on
from billing.domain.usage import UsageEvent, aggregate, by_metric, in_window, relevant
from billing.domain.vat import rate_str


def advance_fees(ctx: PricingContext, catalog: Catalog, sub: Subscription, period: Period) -> list[LineDraft]:
    """Recurring fees for `period`, billed in advance for the plan active when it (or the subscription)
    opens; up to the end only when that end was decided before the period opened."""
    opens = max(period.start, sub.start_date)
    closes = period.end
    if sub.end_date is not None and sub.end_known_on(opens):
        closes = min(closes, sub.end_date)
    code = sub.plan_code_on(opens)
    if opens >= closes or code is None or sub.paused_on(opens) is not None:
        return []  # nothing to bill, or a paused period: a pause covers whole periods
    drafts: list[LineDraft] = []
    for charge in catalog.plan(code).charges:
        if charge.is_recurring_fee:
            drafts += fee_lines(ctx, charge, period, opens, closes, sign=1, prefix=None)
    return drafts


def fee_lines(
    ctx: PricingContext,
    charge: Charge,
    period: Period,
    lo: date,
    hi: date,
    *,
    sign: int,
    prefix: str | None,
) -> list[LineDraft]:
    """The recurring fee for days [lo, hi) of `period`, one line per VAT rate in force."""
    drafts = []
    for part in vat_parts(ctx, charge.vat_rate, charge.vat_category, lo, hi):
        full = part.days == period.days
        description = charge.name if prefix is None else f"{prefix}: {charge.name}"
        drafts.append(
            LineDraft(
                kind="fee" if sign > 0 else "credit",
                description=description,
                quantity=Decimal(sign),
                unit=charge.unit,
                # The full period's price: the proration note says which part of it the amount is.
                unit_price=Decimal(charge.amount),
                amount=Decimal(sign * charge.amount) * part.days / period.days,
                charge_code=charge.code,
                group=charge.group,
                vat_rate=vat_rate_on(ctx, charge.vat_rate, charge.vat_category, part.start),
                proration=None if full else days_text(part.days, period.days, ctx.language),
                period=part,
            )
        )
    return drafts


def usage_for(
    ctx: PricingContext,
    catalog: Catalog,
    sub: Subscription,
    period: Period,
    events: Sequence[UsageEvent],
    until: datetime | None,
) -> list[LineDraft]:
    """Usage charges for `period` (in arrears), per plan for the days it was active; `until` cuts a
    preview at an instant."""
    drafts: list[LineDraft] = []
    groups = by_metric(events)
    for code, lo, hi in sub.segments(period.start, period.end):
        plan = catalog.plan(code)
        for charge in plan.charges:
            if not charge.is_recurring_fee:
                mine = groups.get(charge.metric, []) if charge.metric else []
                drafts += charge_lines(ctx, charge, period, lo, hi, mine, until)
    return drafts


def charge_lines(
    ctx: PricingContext,
    charge: Charge,
    period: Period,
    lo: date,
    hi: date,
    events: Sequence[UsageEvent],
    until: datetime | None,
) -> list[LineDraft]:
    """A usage charge for usage in local days [lo, hi) of `period`; split where the VAT rate changes."""
    mine = relevant(events, charge)
    period_from, period_to = local_midnight(period.start, ctx.tz), local_midnight(period.end, ctx.tz)
    start, end = local_midnight(lo, ctx.tz), local_midnight(hi, ctx.tz)
    if until is not None:
        end = max(start, min(end, until))
    quantity = aggregate(charge, mine, start, end, period_from, period_to)
    priced = price_usage(ctx, charge, quantity, in_window(mine, start, end))
    priced = limit_charge(ctx, charge, priced, Period(lo, hi), period)
    label = Period(lo, hi)
    parts = vat_parts(ctx, charge.vat_rate, charge.vat_category, lo, hi)
    if len(parts) == 1:
        rate = vat_rate_on(ctx, charge.vat_rate, charge.vat_category, lo)
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
                    vat_rate=vat_rate_on(ctx, charge.vat_rate, charge.vat_category, part.start),
                    period=part,
                )
            )
    return drafts


def usage_cost(ctx: PricingContext, charge: Charge, period: Period, events: Sequence[UsageEvent]) -> int:
    """What a usage charge costs for all of `period`, in whole minor units as an invoice rounds its
    lines: `charge_lines` over the whole period without the split at a VAT change, whose shares are
    allocated to add up to the same rounded amount (plan-fit advice needs the amount, not the lines)."""
    mine = relevant(events, charge)
    start, end = local_midnight(period.start, ctx.tz), local_midnight(period.end, ctx.tz)
    quantity = aggregate(charge, mine, start, end, start, end)
    priced = price_usage(ctx, charge, quantity, in_window(mine, start, end))
    return sum(round_minor(d.amount) for d in limit_charge(ctx, charge, priced, period, period))


def limit_charge(
    ctx: PricingContext, charge: Charge, drafts: list[LineDraft], window: Period, period: Period
) -> list[LineDraft]:
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
    adjustment = LineDraft(
        kind="adjustment",
        description=f"{text(ctx.language, key)}: {charge.name}",
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


def unused_days_credit(
    ctx: PricingContext, catalog: Catalog, sub: Subscription, previous: Period
) -> list[LineDraft]:
    """A credit for the days after an end inside `previous` that was decided after it was billed."""
    end = sub.end_date
    if end is None or not previous.start < end < previous.end:
        return []
    billed_from = max(previous.start, sub.start_date)
    if sub.end_known_on(billed_from):
        return []  # the end was known when the period was billed: it was prorated then
    if sub.paused_on(billed_from) is not None:
        return []  # a paused period billed no fee, so there is none to give back
    code = sub.plan_code_on(end - timedelta(days=1))
    if code is None:
        return []
    drafts: list[LineDraft] = []
    for charge in catalog.plan(code).charges:
        if charge.is_recurring_fee:
            drafts += fee_lines(
                ctx, charge, previous, end, previous.end, sign=-1, prefix=text(ctx.language, "unused")
            )
    return drafts


def commitment_true_up(
    ctx: PricingContext, catalog: Catalog, sub: Subscription, previous: Period, usage: list[LineDraft]
) -> list[LineDraft]:
    """Top the previous period up to the plan's minimum commitment (prorated per plan and day).

    Compared with what the period cost in total: usage plus the recurring fees of each plan for the days
    it was active (that is what the period, plan-change and credit lines add up to).
    """
    if sub.paused_on(previous.start) is not None:
        return []  # a paused period owes no minimum: the commitment is a fee, and fees are held
    commitment = Decimal(0)
    # Usage is never negative (billing.domain.usage.usage_value_problem); should a negative amount
    # reach here anyway, it must not make a shortfall appear: spend is counted from zero up.
    spent = max(sum((d.amount for d in usage), Decimal(0)), Decimal(0))
    last_day: date | None = None
    for code, lo, hi in sub.segments(previous.start, previous.end):
        plan = catalog.plan(code)
        share = Decimal((hi - lo).days) / previous.days
        if plan.minimum_commitment is not None:
            commitment += plan.minimum_commitment * share
        spent += sum((c.amount * share for c in plan.charges if c.is_recurring_fee), Decimal(0))
        last_day = hi - timedelta(days=1)
    if last_day is None or commitment == 0 or commitment <= spent:
        return []  # no plan of the period has a minimum commitment, or it was met
    shortfall = commitment - spent
    rate = vat_rate_on(ctx, None, "standard", last_day)
    return [
        LineDraft(
            kind="commitment",
            description=text(ctx.language, "commitment"),
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


def apply_coupons(ctx: PricingContext, drafts: list[LineDraft], coupons: Sequence[Coupon]) -> list[LineDraft]:
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
            suffix = f" ({rate_str(rate)} % {text(ctx.language, 'vat')})" if len(rates) > 1 else ""
            result.append(
                LineDraft(
                    kind="discount",
                    description=f"{text(ctx.language, 'discount')}: {label}{suffix}",
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
