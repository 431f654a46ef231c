"""Late-payment interest under the Swedish Interest Act (räntelagen 1975:635, 6 §).

Rate: the reference rate of each calendar half-year (9 §) plus 8 percentage points, applied day by
day, so a period that crosses 1 January or 1 July uses each half-year's rate for its own days.

- Days counted: from the day after the due date up to and including `through`. The due date itself
  is a day the customer may still pay on time, so it never bears interest.
- Day count: actual/365. Each late day earns 1/365 of the annual rate, leap year or not. The Act
  names no convention; with this one a day costs the same all year round, and a customer a whole
  leap year late pays 366/365 of the annual rate (about 0.3 % more interest than actual/actual).
- Rounding: the exact sum over all days is computed in integers and rounded once, down, to whole öre
  (minor units); the customer is never asked for a fraction of an öre the law does not give us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from billing.domain.dunning.errors import DunningError
from billing.domain.dunning.rates import ReferenceRates, next_half_year_start

# räntelagen 6 §: "referensräntan ... med ett tillägg av åtta procentenheter".
STATUTORY_MARGIN_PERCENT = Decimal(8)
DAYS_PER_YEAR = 365

# Rates are whole hundredths of a percent (basis points); 100 % = 10_000 bp.
_BP_PER_UNIT = 10_000


@dataclass(frozen=True)
class InterestSegment:
    """Late days within one half-year: `first_day`..`last_day` inclusive at `annual_rate_percent`."""

    first_day: date
    last_day: date
    days: int
    reference_rate_percent: Decimal
    annual_rate_percent: Decimal


@dataclass(frozen=True)
class LatePaymentInterest:
    """Interest owed so far, in minor units, and how it came about (for the page and the audit trail)."""

    amount_minor: int
    segments: tuple[InterestSegment, ...]


def late_payment_interest(
    principal_minor: int, due_date: date, through: date, rates: ReferenceRates
) -> LatePaymentInterest:
    """Interest on `principal_minor` for the late days after `due_date` up to and including `through`.

    Raises `ReferenceRateMissing` when a late day falls in a half-year not on file.
    """
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int) or principal_minor < 0:
        raise DunningError("principal_minor", "must be a whole number of minor units, not negative")
    first_late_day = due_date + timedelta(days=1)
    if through < first_late_day:
        return LatePaymentInterest(amount_minor=0, segments=())

    segments: list[InterestSegment] = []
    # Σ over days of (annual rate in basis points): the only quantity that varies day by day.
    basis_point_days = 0
    start = first_late_day
    while start <= through:
        end = min(through, next_half_year_start(start) - timedelta(days=1))
        reference = rates.rate_on(start)
        annual = reference + STATUTORY_MARGIN_PERCENT
        days = (end - start).days + 1
        basis_point_days += int(annual * 100) * days
        segments.append(
            InterestSegment(
                first_day=start,
                last_day=end,
                days=days,
                reference_rate_percent=reference,
                annual_rate_percent=annual,
            )
        )
        start = end + timedelta(days=1)

    # One rounding: floor of the exact fraction (both operands are non-negative integers).
    amount = principal_minor * basis_point_days // (_BP_PER_UNIT * DAYS_PER_YEAR)
    return LatePaymentInterest(amount_minor=amount, segments=tuple(segments))
