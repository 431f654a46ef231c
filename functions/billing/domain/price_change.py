"""A price change: a new version of a plan, its notice, and the customer's personal backtest.

A price change is a new version of a plan ("bas@v2") with an effective date; subscriptions name the
version they are on, so an existing subscription keeps its price until it is moved
(docs/price-changes.md). Every affected customer is told at least the notice period before: the
tenant's own period, never shorter than its sector's legal minimum.

The backtest answers "what would my last 12 months have cost at the new price": each of the customer's
period invoices is re-quoted by the pricing engine (`compute_invoice`, the same one that priced it)
once on the versions they were on and once with the new version in their place, with the usage that
invoice billed. Coupons and credit are left out of both, so the difference is the price alone.
Consumers see amounts incl. VAT, businesses excl. VAT, as on their invoices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from billing.domain.catalog import Catalog, Plan, PlanPhase, Subscription
from billing.domain.parties import Customer, TenantSettings
from billing.domain.periods import Period, add_months
from billing.domain.pricing import Repricing, compute_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.usage import UsageEvent

# Legal minimum notice of a price change per sector, in months (lagen om elektronisk kommunikation:
# one month; ellagen: two). A tenant in neither sector still gives its own notice.
SECTOR_MINIMUM_MONTHS = {"electronic_communications": 1, "electricity": 2}
BACKTEST_PERIODS = 12
_VERSIONED = re.compile(r"^(?P<base>.+)@v(?P<n>[0-9]+)$")
CHOICES = ("accept", "switch", "leave")


class PriceChangeRefused(ValueError):
    """A change that cannot be scheduled; `field` names what to fix."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def version_code(base: str, version: int) -> str:
    return base if version == 1 else f"{base}@v{version}"


def version_number(code: str) -> int:
    match = _VERSIONED.match(code)
    return int(match["n"]) if match else 1


def notice_months(tenant: TenantSettings, requested: int | None) -> int:
    """The notice this change gives: the tenant's unless it asks for more; never below the law's."""
    minimum = max(tenant.price_change_notice_months, SECTOR_MINIMUM_MONTHS.get(tenant.sector, 0))
    if requested is None:
        return minimum
    if requested < minimum:
        why = f"the {tenant.sector} sector's legal minimum" if tenant.sector else "the tenant's notice"
        raise PriceChangeRefused("notice_months", f"at least {minimum} month(s) ({why})")
    return requested


def earliest_effective_date(today: date, months: int) -> date:
    """The notice is counted from the day after scheduling: the notices go out on the next run."""
    return add_months(today, months) + timedelta(days=1)


def noticed_in_time(sent_on: date, effective_date: date, months: int) -> bool:
    return add_months(sent_on, months) <= effective_date


def new_version(
    catalog: Catalog, base: str, plan: Plan, effective_date: date, today: date, months: int
) -> Plan:
    """`plan` (its charges as sent) as the next version of `base`, checked against the catalog."""
    versions = catalog.versions(base)
    if not versions or versions[0].version_of is not None:
        raise PriceChangeRefused("code", f"no plan {base!r} in the catalog")
    first, last = versions[0], versions[-1]
    earliest = earliest_effective_date(today, months)
    if effective_date < earliest:
        raise PriceChangeRefused(
            "effective_date",
            f"{months} month(s) of notice from today: {earliest.isoformat()} at the earliest",
        )
    if last.effective_from is not None and effective_date <= last.effective_from:
        raise PriceChangeRefused(
            "effective_date", f"after the latest version's effective date {last.effective_from.isoformat()}"
        )
    if (plan.interval, plan.currency) != (first.interval, first.currency):
        raise PriceChangeRefused("interval", "a new version keeps the plan's interval and currency")
    number = max(version_number(p.code) for p in versions) + 1
    return replace(plan, code=version_code(base, number), version_of=base, effective_from=effective_date)


def moved_to(subscription: Subscription, base: str, new_code: str) -> Subscription:
    """The subscription as if every phase on a version of `base` had been on `new_code`."""
    phases = tuple(
        PlanPhase(new_code, p.start) if _base(p.plan_code) == base else p for p in subscription.phases
    )
    return replace(subscription, phases=phases)


def _base(code: str) -> str:
    match = _VERSIONED.match(code)
    return match["base"] if match else code


@dataclass(frozen=True)
class BilledPeriod:
    """One period invoice of the customer's history: its period start and the usage it billed (in
    arrears, over `usage_period`)."""

    period_start: date
    usage_period: Period
    events: Sequence[UsageEvent]


@dataclass(frozen=True)
class Backtest:
    periods: int
    current: int  # what those invoices come to, re-quoted on the versions the customer was on
    new: int  # the same invoices re-quoted on the new version
    incl_vat: bool

    @property
    def difference(self) -> int:
        return self.new - self.current

    @property
    def per_year(self) -> int:
        """The difference scaled to a year when the history is shorter than BACKTEST_PERIODS."""
        if self.periods == 0:
            return 0
        return round(self.difference * BACKTEST_PERIODS / self.periods)


def requote(
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    billed: BilledPeriod,
) -> int:
    """One period invoice priced again by the engine: its total incl. VAT for a consumer, excl. VAT
    for a business; without coupons or credit."""
    invoice = compute_invoice(
        tenant=tenant,
        catalog=catalog,
        customer=customer,
        subscription=subscription,
        events=billed.events,
        period_start=billed.period_start,
    )
    return invoice.subtotal if customer.is_business else invoice.total


def backtest(
    tenant: TenantSettings,
    catalog: Catalog,
    customer: Customer,
    subscription: Subscription,
    new_code: str,
    history: Sequence[BilledPeriod],
) -> Backtest:
    """The last BACKTEST_PERIODS period invoices of `history`, re-quoted on the current and the new
    version (see the module docstring). Raises ScenarioError when the engine cannot price them."""
    new_plan = catalog.plans.get(new_code)
    if new_plan is None:
        raise ScenarioError("plan", f"unknown plan {new_code!r}")
    recent = sorted(history, key=lambda b: b.period_start)[-BACKTEST_PERIODS:]
    moved = moved_to(subscription, new_plan.base_code, new_code)
    current = sum(requote(tenant, catalog, customer, subscription, b) for b in recent)
    new = sum(requote(tenant, catalog, customer, moved, b) for b in recent)
    return Backtest(periods=len(recent), current=current, new=new, incl_vat=not customer.is_business)


def affected(subscription: Subscription, base: str, new_code: str, effective_date: date) -> str | None:
    """The version of `base` the subscription would still be on at `effective_date` (None: not
    affected: another plan, already on the new version, or ended by then)."""
    if subscription.end_date is not None and subscription.end_date <= effective_date:
        return None
    day = max(subscription.start_date, effective_date)
    code = subscription.plan_code_on(day)
    if code is None or code == new_code or _base(code) != base:
        return None
    if version_number(code) >= version_number(new_code):
        return None
    return code


def best_fit(
    catalog: Catalog,
    customer: Customer,
    current: Plan,
    history: Sequence[BilledPeriod],
    day: date,
) -> Plan | None:
    """The plan on sale on `day` that would have cost least for this usage, by the plan-fit advice's
    own engine call (billing.domain.pricing.Repricing), when cheaper than `current`; None otherwise.
    Only plans billed the same way compete, as on the invoice page."""
    if not history:
        return None

    usage = Repricing(usage=[(b.usage_period, b.events) for b in history], customer=customer, catalog=catalog)

    def cost(plan: Plan) -> int | None:
        try:
            return usage.total(plan)
        except ScenarioError:
            return None

    own = cost(current)
    candidates = [
        (c, p.code, p)
        for p in catalog.on_sale(day).values()
        if p.base_code != current.base_code
        and (p.interval, p.currency) == (current.interval, current.currency)
        and (c := cost(p)) is not None
    ]
    if own is None or not candidates:
        return None
    best_cost, _, best = min(candidates, key=lambda t: (t[0], t[1]))
    return best if best_cost < own else None
