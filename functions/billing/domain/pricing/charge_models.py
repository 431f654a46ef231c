"""One pricing rule per usage charge model: a quantity (or the events) in, exact line drafts out.

`PRICING_RULES` maps each usage `ChargeModel` to its rule; flat fees are recurring and priced by days in
`lines.fee_lines`. Every rule returns at least one line, so a charge with zero usage still shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, Decimal

from billing.domain.catalog import Charge, ChargeModel, Tier
from billing.domain.money import decimal_str, exponent, round_minor
from billing.domain.pricing.context import LineDraft, PricingContext, text
from billing.domain.pricing_errors import ScenarioError
from billing.domain.usage import UsageEvent

PricingRule = Callable[[PricingContext, Charge, Decimal, Sequence[UsageEvent]], list[LineDraft]]


def _line(
    charge: Charge, description: str, quantity: Decimal, unit: str, unit_price: Decimal, amount: Decimal
) -> LineDraft:
    # The VAT rate and the service period are set by the caller, which knows the dates.
    return LineDraft(
        kind="usage",
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        amount=amount,
        charge_code=charge.code,
        group=charge.group,
        vat_rate=Decimal(0),
    )


def price_per_unit(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """quantity x unit price."""
    return [
        _line(charge, charge.name, quantity, charge.unit, charge.unit_price, quantity * charge.unit_price)
    ]


def price_graduated(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """Each tier prices the units that fall inside it (plus its flat fee when reached): a line per tier."""
    if quantity <= 0:
        first = charge.tiers[0]
        description = f"{charge.name} ({tier_text(charge, 0)})"
        return [_line(charge, description, quantity, charge.unit, first.unit_price, Decimal(0))]
    drafts = []
    lower = Decimal(0)
    for i, tier in enumerate(charge.tiers):
        if quantity <= lower:
            break
        upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
        in_tier = upper - lower
        amount = in_tier * tier.unit_price + tier.flat_fee
        description = f"{charge.name} ({tier_text(charge, i)})"
        drafts.append(_line(charge, description, in_tier, charge.unit, tier.unit_price, amount))
        if tier.up_to is None:
            break
        lower = tier.up_to
    return drafts


def price_volume(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """Every unit at the price of the tier the quantity reaches (bounds inclusive), plus its flat fee."""
    index, tier = tier_reached(charge, quantity)
    amount = quantity * tier.unit_price + (tier.flat_fee if quantity > 0 else 0)
    description = f"{charge.name} ({tier_text(charge, index)})"
    return [_line(charge, description, quantity, charge.unit, tier.unit_price, amount)]


def price_package(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """Per started block of `package_size` units after the free units: the quantity is the blocks."""
    billable = max(Decimal(0), quantity - charge.free_units)
    blocks = (billable / charge.package_size).to_integral_value(rounding=ROUND_CEILING)
    description = f"{charge.name}: {decimal_str(quantity)} {charge.unit}".rstrip()
    if charge.free_units:
        description += f" ({decimal_str(charge.free_units)} {text(ctx.language, 'free')})"
    block_unit = f"{text(ctx.language, 'blocks')} {decimal_str(charge.package_size)} {charge.unit}".rstrip()
    price = Decimal(charge.package_price)
    return [_line(charge, description, blocks, block_unit, price, blocks * price)]


def price_percentage(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """Percent of each event's amount plus a fixed fee per event, each event's fee within min..max.

    Three lines a spreadsheet can follow: the percentage of the summed amounts (quantity in major units,
    unit price in minor units per major unit), the fixed fees, and the net effect of the per-event limits.
    """
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
        _line(
            charge,
            f"{charge.name}: {decimal_str(charge.percentage)} %",
            base / minor_per_major,
            ctx.currency,
            charge.percentage * minor_per_major / 100,
            base * charge.percentage / 100,
        )
    ]
    if charge.fixed_fee:
        drafts.append(
            _line(
                charge,
                f"{charge.name}: {text(ctx.language, 'fixed_fee')}",
                Decimal(len(events)),
                charge.unit,
                charge.fixed_fee,
                charge.fixed_fee * len(events),
            )
        )
    adjustment = sum(limited, Decimal(0)) - sum(raw, Decimal(0))
    if adjustment:
        description = f"{charge.name}: {text(ctx.language, 'per_event_limit')}"
        drafts.append(
            _line(charge, description, Decimal(1), "", Decimal(round_minor(adjustment)), adjustment)
        )
    return drafts


PRICING_RULES: dict[ChargeModel, PricingRule] = {
    ChargeModel.PER_UNIT: price_per_unit,
    ChargeModel.GRADUATED: price_graduated,
    ChargeModel.VOLUME: price_volume,
    ChargeModel.PACKAGE: price_package,
    ChargeModel.PERCENTAGE: price_percentage,
}


def price_usage(
    ctx: PricingContext, charge: Charge, quantity: Decimal, events: Sequence[UsageEvent]
) -> list[LineDraft]:
    """The exact lines of one usage charge for `quantity` (the percentage model reads `events`)."""
    rule = PRICING_RULES.get(charge.model)
    if rule is None:
        raise ScenarioError(f"charges.{charge.code}.model", f"{charge.model} is not a usage model")
    return rule(ctx, charge, quantity, events)


def tier_reached(charge: Charge, quantity: Decimal) -> tuple[int, Tier]:
    """The tier whose inclusive upper bound the quantity reaches (the last tier above every bound)."""
    for i, tier in enumerate(charge.tiers):
        if tier.up_to is None or quantity <= tier.up_to:
            return i, tier
    return len(charge.tiers) - 1, charge.tiers[-1]


def tier_text(charge: Charge, index: int) -> str:
    """'1–1000', '1001–10000', '10001+' for whole-unit bounds; '> 2.5–10' when a bound has a fraction."""
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
