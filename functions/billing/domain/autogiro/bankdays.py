"""The Swedish banking-day calendar and Bankgirot's Autogiro deadlines.

A banking day is a weekday that is not a public holiday (lag 1989:253) nor one of the days the
banks treat as holidays: Midsummer Eve, Christmas Eve and New Year's Eve. Holidays are computed,
not listed, so the calendar works for any year (Easter by the Gregorian computus).

Autogiro rules built on it (Bankgirot Autogiro FAQ, FORMAT.md §1.1):
* a payment order must reach Bankgirot by 19:00 Swedish time on the banking day before the
  payment day (`submission_deadline`);
* the payer must be told the amount and the debit date at least 8 days ahead; we count banking
  days, which is never fewer than Bankgirot's weekdays (`earliest_debit_date`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Bankgirot's cut-off for payment orders, on the banking day before the payment day.
DEADLINE_TIME = time(19, 0)

# How many banking days ahead the payer must be told the debit date.
NOTICE_BANKING_DAYS = 8


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian computus, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _weekday_in_range(year: int, month: int, first_day: int, weekday: int) -> date:
    """The first `weekday` (Mon=0) on or after `first_day` of the month."""
    start = date(year, month, first_day)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


@lru_cache(maxsize=256)
def non_banking_holidays(year: int) -> dict[date, str]:
    """Every holiday of `year` that closes the banks, weekend ones included, with its name."""
    easter = easter_sunday(year)
    midsummer_eve = _weekday_in_range(year, 6, 19, 4)  # the Friday between 19 and 25 June
    days: dict[date, str] = {
        date(year, 1, 1): "Nyårsdagen",
        date(year, 1, 6): "Trettondedag jul",
        easter - timedelta(days=2): "Långfredagen",
        easter: "Påskdagen",
        easter + timedelta(days=1): "Annandag påsk",
        date(year, 5, 1): "Första maj",
        easter + timedelta(days=39): "Kristi himmelsfärdsdag",
        easter + timedelta(days=49): "Pingstdagen",
        midsummer_eve: "Midsommarafton",
        midsummer_eve + timedelta(days=1): "Midsommardagen",
        _weekday_in_range(year, 10, 31, 5): "Alla helgons dag",  # Saturday 31 Oct - 6 Nov
        date(year, 12, 24): "Julafton",
        date(year, 12, 25): "Juldagen",
        date(year, 12, 26): "Annandag jul",
        date(year, 12, 31): "Nyårsafton",
    }
    # The National Day replaced Whit Monday as a public holiday in 2005.
    if year >= 2005:
        days[date(year, 6, 6)] = "Sveriges nationaldag"
    else:
        days[easter + timedelta(days=50)] = "Annandag pingst"
    return days


def is_banking_day(day: date) -> bool:
    return day.weekday() < 5 and day not in non_banking_holidays(day.year)


def next_banking_day(day: date, *, include_today: bool = True) -> date:
    """`day` itself if it is a banking day (and `include_today`), else the next one."""
    candidate = day if include_today else day + timedelta(days=1)
    while not is_banking_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def previous_banking_day(day: date, *, include_today: bool = False) -> date:
    """The banking day before `day` (or `day` itself when it is one and `include_today`)."""
    candidate = day if include_today else day - timedelta(days=1)
    while not is_banking_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def add_banking_days(day: date, count: int) -> date:
    """The `count`-th banking day after `day` (before it when negative); `day` itself for 0."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_banking_day(current):
            remaining -= 1
    return current


def banking_days_between(start: date, end: date) -> int:
    """Banking days in (start, end]: after `start`, up to and including `end`. 0 if end <= start."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_banking_day(current):
            count += 1
    return count


def submission_deadline(payment_day: date) -> datetime:
    """The last moment a payment order for `payment_day` may reach Bankgirot: 19:00 Swedish time
    on the banking day before."""
    return datetime.combine(previous_banking_day(payment_day), DEADLINE_TIME, tzinfo=STOCKHOLM)


def earliest_debit_date(notified_on: date) -> date:
    """The first debit date allowed when the payer is told on `notified_on`.

    There must be at least NOTICE_BANKING_DAYS banking days after the notice day, up to and
    including the debit day; the result is itself a banking day.
    """
    return add_banking_days(notified_on, NOTICE_BANKING_DAYS)


def debit_date_for(due_date: date, notified_on: date | None = None) -> date:
    """The date we debit an invoice due on `due_date`, and tell the customer.

    The due date itself when it is a banking day, otherwise the next banking day (the rule
    Bankgirot applies to dated Autogiro payments). When `notified_on` is given, never earlier than
    `earliest_debit_date(notified_on)`, so the notice period holds even for a late invoice.
    """
    debit = next_banking_day(due_date)
    if notified_on is not None:
        debit = max(debit, earliest_debit_date(notified_on))
    return debit


def stockholm_date(moment: datetime) -> date:
    """The Swedish calendar date of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(STOCKHOLM).date()
