"""The day a scheduled function works for (billing.handlers.schedule): the operator's date when given,
else the Stockholm date of the schedule's instant."""

from __future__ import annotations

from datetime import date

import pytest

from billing.handlers.schedule import scheduled_day


def test_the_stockholm_date_of_the_scheduled_instant_not_the_utc_one():
    # Given a schedule that fired at 00:30 Swedish summer time, still the day before in UTC
    event = {"tenant_id": "t", "scheduled_time": "2026-03-31T22:30:00Z"}
    # When the day is read, Then it is Stockholm's
    assert scheduled_day(event, "run_date") == date(2026, 4, 1)


def test_an_offset_instant_is_read_as_well_as_z():
    event = {"scheduled_time": "2026-01-15T07:00:00+01:00"}
    assert scheduled_day(event, "today") == date(2026, 1, 15)


def test_the_operators_date_wins_over_the_schedule():
    # Given an operator re-running a given day
    event = {"scheduled_time": "2026-03-31T22:30:00Z", "collect_date": "2026-02-28"}
    # Then that day is the one worked for, and another key's date is ignored
    assert scheduled_day(event, "collect_date") == date(2026, 2, 28)
    assert scheduled_day(event, "today") == date(2026, 4, 1)


def test_a_date_that_is_not_iso_is_refused():
    with pytest.raises(ValueError):
        scheduled_day({"today": "31/03/2026"}, "today")
