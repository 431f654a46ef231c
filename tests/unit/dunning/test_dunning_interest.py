"""Late-payment interest under räntelagen 6 §: reference rate + 8 points, day by day, actual/365."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from dunning_builders import RATES
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.dunning import (
    DunningError,
    ReferenceRateMissing,
    late_payment_interest,
    parse_reference_rates,
)

REPO = Path(__file__).resolve().parents[3]
DATA_FILE = REPO / "functions" / "billing" / "data" / "riksbank_reference_rates.json"


def test_interest_is_exact_to_the_day_across_a_change_of_reference_rate() -> None:
    # Given 1 000,00 kr due on 20 June 2023, paid nothing by 10 July 2023. The reference rate was
    # 2,50 % for H1 2023 and 3,50 % from 1 July 2023, so the interest rates are 10,50 % and 11,50 %.
    #
    # Worked by hand:
    #   late days in June: 21..30 June  = 10 days at 10,50 %
    #   late days in July:  1..10 July  = 10 days at 11,50 %   (the due date itself is never late)
    #   interest = 100 000 öre × (10 × 0,105 + 10 × 0,115) / 365
    #            = 100 000 × 2,2 / 365 = 602,739… öre  →  602 öre (rounded down, once)
    # When
    result = late_payment_interest(100_000, date(2023, 6, 20), date(2023, 7, 10), RATES)
    # Then
    assert result.amount_minor == 602
    assert [(s.first_day, s.last_day, s.days, s.annual_rate_percent) for s in result.segments] == [
        (date(2023, 6, 21), date(2023, 6, 30), 10, Decimal("10.50")),
        (date(2023, 7, 1), date(2023, 7, 10), 10, Decimal("11.50")),
    ]


def test_one_more_late_day_adds_exactly_that_days_interest_at_the_new_rate() -> None:
    # Given the example above. 100 000 × 11 days... : 100 000 × (1,05 + 11 × 0,115) / 365
    #   = 100 000 × 2,315 / 365 = 634,246… → 634 öre
    # When the customer is one day later
    result = late_payment_interest(100_000, date(2023, 6, 20), date(2023, 7, 11), RATES)
    # Then
    assert result.amount_minor == 634


def test_nothing_is_owed_on_the_due_date_itself() -> None:
    # Given an invoice due today / When interest is counted through the due date
    on_due = late_payment_interest(100_000, date(2024, 5, 31), date(2024, 5, 31), RATES)
    # Then nothing; the first late day earns one day: 100 000 × 0,12 / 365 = 32,876… → 32
    assert on_due.amount_minor == 0
    assert on_due.segments == ()
    assert late_payment_interest(100_000, date(2024, 5, 31), date(2024, 6, 1), RATES).amount_minor == 32


def test_a_leap_year_day_costs_the_same_as_any_other_day() -> None:
    # Given actual/365: 29 February 2024 is one more day at 1/365 of the annual rate (4,00 + 8 = 12 %)
    # When 10 000 kr is late from 28 February through 1 March 2024 (2 days)
    result = late_payment_interest(1_000_000, date(2024, 2, 28), date(2024, 3, 1), RATES)
    # Then 1 000 000 × 0,12 × 2 / 365 = 657,53… → 657
    assert result.amount_minor == 657


def test_rounding_happens_once_on_the_total_not_per_segment() -> None:
    # Given two segments whose parts are each just under a whole öre:
    #   31 December 2024 at 12 % and 1 January 2025 at 11 %, principal 1 600 öre:
    #   per day: 1 600 × 0,12 / 365 = 0,526… and 1 600 × 0,11 / 365 = 0,482…
    # When counted over both days
    result = late_payment_interest(1_600, date(2024, 12, 30), date(2025, 1, 1), RATES)
    # Then the total 1,008… rounds down to 1, where rounding each segment would give 0
    assert result.amount_minor == 1


def test_a_day_without_a_reference_rate_on_file_is_refused_not_guessed() -> None:
    # Given rates on file up to 30 June 2026
    # When interest runs into July 2026
    with pytest.raises(ReferenceRateMissing) as error:
        late_payment_interest(100_000, date(2026, 6, 20), date(2026, 7, 2), RATES)
    # Then the error names the half-year that is missing
    assert "2026-07-01" in error.value.reason


def test_negative_principal_is_refused() -> None:
    with pytest.raises(DunningError) as error:
        late_payment_interest(-1, date(2024, 1, 1), date(2024, 2, 1), RATES)
    assert error.value.field == "principal_minor"


def _reference_rate(day: date) -> Fraction:
    table = {
        (2023, 1): "2.50",
        (2023, 7): "3.50",
        (2024, 1): "4.00",
        (2024, 7): "4.00",
        (2025, 1): "3.00",
        (2025, 7): "2.00",
        (2026, 1): "2.00",
    }
    return Fraction(table[(day.year, 1 if day.month <= 6 else 7)])


@settings(max_examples=200, deadline=None)
@given(
    principal=st.integers(min_value=0, max_value=10**9),
    due=st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 6, 1)),
    late_days=st.integers(min_value=0, max_value=700),
)
def test_interest_equals_the_sum_of_each_late_days_interest_rounded_down_once(
    principal: int, due: date, late_days: int
) -> None:
    # Given any principal and lateness within the rates on file
    through = min(due + timedelta(days=late_days), date(2026, 6, 30))
    # When computed by the domain
    result = late_payment_interest(principal, due, through, RATES)
    # Then it equals a plain day-by-day sum of exact fractions, floored once
    exact = sum(
        (
            principal * (_reference_rate(due + timedelta(days=d)) + 8) / 100 / 365
            for d in range(1, (through - due).days + 1)
        ),
        Fraction(0),
    )
    assert result.amount_minor == exact.numerator // exact.denominator
    assert sum(s.days for s in result.segments) == max(0, (through - due).days)


def test_the_shipped_reference_rate_file_parses_and_covers_2022_onwards() -> None:
    # Given the data file operators keep current / When parsed
    rates = parse_reference_rates(json.loads(DATA_FILE.read_text(encoding="utf-8")))
    # Then it starts in 2022 and holds the published values we rely on in these tests
    assert rates.first_day == date(2022, 1, 1)
    assert rates.rate_on(date(2022, 7, 1)) == Decimal("0.50")
    assert rates.rate_on(date(2023, 6, 30)) == Decimal("2.50")
    assert rates.rate_on(date(2023, 7, 1)) == Decimal("3.50")
    assert rates.rate_on(date(2025, 1, 1)) == Decimal("3.00")
    assert rates.last_day >= date(2026, 6, 30)
