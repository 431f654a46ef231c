"""The Swedish banking-day calendar, Bankgirot's 19:00 deadline and the 8-banking-day notice."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.autogiro.bankdays import (
    STOCKHOLM,
    add_banking_days,
    banking_days_between,
    debit_date_for,
    earliest_debit_date,
    easter_sunday,
    is_banking_day,
    next_banking_day,
    non_banking_holidays,
    previous_banking_day,
    submission_deadline,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2008, date(2008, 3, 23)), (2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)),
     (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2038, date(2038, 4, 25))],
)  # fmt: skip
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_non_banking_weekdays_of_2026() -> None:
    # Given 2026; When its weekday holidays are listed; Then they are the Swedish bank holidays
    weekday_holidays = sorted(d for d in non_banking_holidays(2026) if d.weekday() < 5)
    assert weekday_holidays == [
        date(2026, 1, 1),  # Nyårsdagen
        date(2026, 1, 6),  # Trettondedag jul
        date(2026, 4, 3),  # Långfredagen
        date(2026, 4, 6),  # Annandag påsk
        date(2026, 5, 1),  # Första maj
        date(2026, 5, 14),  # Kristi himmelsfärdsdag
        date(2026, 6, 19),  # Midsommarafton
        date(2026, 12, 24),  # Julafton
        date(2026, 12, 25),  # Juldagen
        date(2026, 12, 31),  # Nyårsafton
    ]
    # (6 June 2026 and 26 December 2026 fall on a Saturday.)


def test_national_day_and_whit_monday_by_era() -> None:
    assert not is_banking_day(date(2025, 6, 6))  # Friday, National Day
    assert is_banking_day(date(2025, 6, 9))  # Whit Monday is a banking day since 2005
    assert not is_banking_day(date(2004, 5, 31))  # Whit Monday 2004 was a holiday
    assert is_banking_day(date(2003, 6, 6))  # Friday 6 June 2003 was not


def test_midsummer_eve_is_the_friday_between_19_and_25_june() -> None:
    for year in range(2020, 2040):
        eves = [d for d, name in non_banking_holidays(year).items() if name == "Midsommarafton"]
        assert len(eves) == 1 and eves[0].weekday() == 4 and 19 <= eves[0].day <= 25


def test_moving_across_easter() -> None:
    # Given Maundy Thursday 2026 (2 April): the next banking day is Tuesday 7 April
    assert next_banking_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert add_banking_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert previous_banking_day(date(2026, 4, 7)) == date(2026, 4, 2)
    assert banking_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1


def test_deadline_is_19_stockholm_time_on_the_banking_day_before() -> None:
    # Given a debit on Tuesday 7 April 2026 (after Easter); Then the order is due Thursday 2 April 19:00
    deadline = submission_deadline(date(2026, 4, 7))
    assert deadline == datetime(2026, 4, 2, 19, 0, tzinfo=STOCKHOLM)
    assert deadline.utcoffset() == timedelta(hours=2)  # summer time
    assert submission_deadline(date(2026, 1, 12)).utcoffset() == timedelta(hours=1)


def test_eight_banking_days_notice() -> None:
    # Given a notice on Thursday 15 January 2026; Then the earliest debit is Tuesday 27 January
    assert earliest_debit_date(date(2026, 1, 15)) == date(2026, 1, 27)
    # Over Christmas the holidays push it further
    assert earliest_debit_date(date(2025, 12, 19)) == date(2026, 1, 8)


def test_debit_date_for_a_due_date() -> None:
    # A due date on Saturday moves to Monday; a late notice moves it to the earliest allowed day
    assert debit_date_for(date(2026, 1, 31)) == date(2026, 2, 2)
    assert debit_date_for(date(2026, 1, 28), notified_on=date(2026, 1, 20)) == date(2026, 1, 30)
    assert debit_date_for(date(2026, 2, 27), notified_on=date(2026, 1, 20)) == date(2026, 2, 27)


@settings(max_examples=300)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 40))
def test_calendar_properties(day: date, count: int) -> None:
    # Then add_banking_days lands on a banking day exactly `count` banking days later
    later = add_banking_days(day, count)
    assert banking_days_between(day, later) == count
    if count:
        assert is_banking_day(later)
        assert add_banking_days(later, -count) <= day
    # And the debit date always leaves at least 8 banking days of notice
    debit = debit_date_for(day + timedelta(days=count), notified_on=day)
    assert is_banking_day(debit)
    assert banking_days_between(day, debit) >= 8
    assert debit >= day + timedelta(days=count)
