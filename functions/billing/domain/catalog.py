"""The catalog (plans and their charges) and a customer's subscription to it.

Prices are in minor units of the plan's currency: whole amounts as ints (`amount`, `package_price`,
`flat_fee`, `min_amount`), unit prices as Decimals because a per-unit price can be below one öre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.periods import Anchor, Interval, Period
from billing.domain.vat import EMPTY_SCHEDULE, VatSchedule


class ChargeModel(StrEnum):
    FLAT = "flat"  # recurring fee per period, billed in advance, prorated by days
    PER_UNIT = "per_unit"  # quantity x unit price
    GRADUATED = "graduated"  # each tier prices the units that fall in it
    VOLUME = "volume"  # every unit at the price of the tier the total reaches
    PACKAGE = "package"  # per started block of N units, after free units
    PERCENTAGE = "percentage"  # percent of an amount carried in each event, plus a fee per event


class Aggregation(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MAX = "max"
    UNIQUE_COUNT = "unique_count"
    LATEST = "latest"
    WEIGHTED_SUM = "weighted_sum"


@dataclass(frozen=True)
class Tier:
    """Units up to and including `up_to` (None: no upper bound) cost `unit_price`, plus `flat_fee`."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: int = 0


@dataclass(frozen=True)
class Charge:
    code: str
    name: str
    model: ChargeModel
    group: str = ""  # service group the invoice page shows the line under ("Storage")
    unit: str = ""  # what a unit is ("GB", "calls", "seats")
    metric: str | None = None  # usage metric code; None only for flat fees
    aggregation: Aggregation = Aggregation.SUM
    # Event property holding the value to aggregate (unique_count: the distinct key). None: event value.
    field: str | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # property -> allowed values
    amount: int = 0  # flat fee per full period
    unit_price: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = ()
    package_size: Decimal = Decimal(1)
    package_price: int = 0
    free_units: Decimal = Decimal(0)
    percentage: Decimal = Decimal(0)  # percent of the event amount
    fixed_fee: Decimal = Decimal(0)  # per event, percentage model
    min_per_event: Decimal | None = None
    max_per_event: Decimal | None = None
    min_amount: int | None = None  # per period, whole charge
    max_amount: int | None = None
    vat_rate: Decimal | None = None  # a fixed rate; else the dated rate of vat_category
    vat_category: str = "standard"

    @property
    def is_recurring_fee(self) -> bool:
        return self.model is ChargeModel.FLAT

    def matches(self, properties: dict[str, str]) -> bool:
        """True when an event's properties pass every filter of this charge."""
        return all(properties.get(key) in allowed for key, allowed in self.filters)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    interval: Interval
    currency: str
    charges: tuple[Charge, ...]
    minimum_commitment: int | None = None  # per full period, excl. VAT; a true-up line tops it up
    # A later version of plan `version_of` ("bas@v2"), on sale from `effective_from`
    # (docs/price-changes.md). Subscriptions name the version they are on; the first has neither.
    version_of: str | None = None
    effective_from: date | None = None

    @property
    def base_code(self) -> str:
        return self.version_of or self.code

    def charge(self, code: str) -> Charge | None:
        return next((c for c in self.charges if c.code == code), None)


@dataclass(frozen=True)
class Catalog:
    plans: dict[str, Plan]
    vat_schedule: VatSchedule = EMPTY_SCHEDULE

    def plan(self, code: str) -> Plan:
        return self.plans[code]

    def versions(self, base: str) -> list[Plan]:
        """Every version of plan `base`, oldest first (the first version has no effective date)."""
        found = [p for p in self.plans.values() if p.base_code == base]
        return sorted(found, key=lambda p: (p.effective_from or date.min, p.code))

    def current(self, base: str, day: date) -> Plan | None:
        """The version of plan `base` on sale on `day`: the latest one in effect by then."""
        live = [p for p in self.versions(base) if p.effective_from is None or p.effective_from <= day]
        return live[-1] if live else None

    def on_sale(self, day: date) -> dict[str, Plan]:
        """Each plan's version on sale on `day`, by its own (versioned) code."""
        bases = {p.base_code for p in self.plans.values()}
        current = (self.current(b, day) for b in sorted(bases))
        return {p.code: p for p in current if p is not None}


@dataclass(frozen=True)
class PlanPhase:
    """From `start` (a local date, inclusive) the subscription is on plan `plan_code`."""

    plan_code: str
    start: date


@dataclass(frozen=True)
class Pause:
    """No recurring fee for the billing periods inside [start, end) (local dates, whole periods: it
    starts and ends on period boundaries); service and fees resume on `end` by themselves. Usage that
    arrives meanwhile is still billed (billing.domain.pauses says why). `decided_on`: the day asked."""

    start: date
    end: date
    decided_on: date


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    anchor: Anchor
    phases: tuple[PlanPhase, ...]  # sorted by start; the first starts the subscription
    end_date: date | None = None  # first local date no longer active (exclusive)
    # The day the end was decided (None: from the start). An end decided before a period began was
    # prorated on that period's invoice; one decided later is credited ("unused days") on the next one.
    cancelled_on: date | None = None
    anchor_date: date | None = None  # anniversary anchor; defaults to the start date
    pauses: tuple[Pause, ...] = ()  # sorted by start, never overlapping (billing.domain.pauses)

    @property
    def start_date(self) -> date:
        return self.phases[0].start

    @property
    def anchor_day(self) -> date:
        return self.anchor_date or self.start_date

    def end_known_on(self, day: date) -> bool:
        """True when the end (if any) had been decided by the start of local `day`."""
        return self.end_date is not None and (self.cancelled_on is None or self.cancelled_on <= day)

    def paused_on(self, day: date) -> Pause | None:
        """The pause that holds the fees on local `day`, if one does."""
        return next((p for p in self.pauses if p.start <= day < p.end), None)

    def plan_code_on(self, day: date) -> str | None:
        if day < self.start_date or (self.end_date is not None and day >= self.end_date):
            return None
        code = None
        for phase in self.phases:
            if phase.start <= day:
                code = phase.plan_code
        return code

    def segments(self, start: date, end: date) -> list[tuple[str, date, date]]:
        """(plan code, from, to) for each plan active inside [start, end), in order."""
        result: list[tuple[str, date, date]] = []
        stop = end if self.end_date is None else min(end, self.end_date)
        for i, phase in enumerate(self.phases):
            phase_end = self.phases[i + 1].start if i + 1 < len(self.phases) else stop
            lo, hi = max(phase.start, start), min(phase_end, stop)
            if lo < hi:
                result.append((phase.plan_code, lo, hi))
        return result


@dataclass(frozen=True)
class Coupon:
    """A discount. `times_applied` is how many earlier period invoices it already reduced."""

    code: str
    kind: str  # "percentage" | "fixed"
    percent: Decimal = Decimal(0)
    amount: int = 0
    duration: str = "once"  # "once" | "repeating" | "forever"
    periods: int = 1  # for "repeating"
    times_applied: int = 0
    charge_code: str | None = None  # None: the whole invoice
    name: str = ""

    @property
    def is_active(self) -> bool:
        if self.duration == "forever":
            return True
        if self.duration == "once":
            return self.times_applied < 1
        return self.times_applied < self.periods


@dataclass(frozen=True)
class OneOffItem:
    """A line on a one-off invoice: quantity x unit price, at a VAT rate or category."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = ""
    group: str = ""
    vat_rate: Decimal | None = None
    vat_category: str = "standard"
    code: str | None = None
    period: Period | None = None  # what the item is for, when it is for a stretch of days
