"""The page's "today" is the customer's calendar day, not the UTC clock's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from billing.services.invoice_pages import customer_today
from tests.unit.page.builders import CUSTOMER


def _account(timezone: str) -> Any:
    return SimpleNamespace(customer=replace(CUSTOMER, timezone=timezone))


def _clock(moment: datetime) -> Any:
    return SimpleNamespace(now=lambda: moment)


def test_just_after_midnight_in_stockholm_it_is_already_the_next_day():
    # 23:30 UTC on 30 November is 00:30 on 1 December in Stockholm (UTC+1 in winter)
    late = _clock(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert customer_today(late, _account("Europe/Stockholm")) == date(2026, 12, 1)
    # ... and still 30 November for a customer in New York
    assert customer_today(late, _account("America/New_York")) == date(2026, 11, 30)
