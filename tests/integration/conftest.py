"""Integration tests use the session's local stack: the `local_env` fixture in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest

from billing.services.billing_run import SystemClock


@pytest.fixture
def scenario_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Put the services' clock on a scenario's day (18:00 UTC), for flows written against a calendar:
    every service reads the time through SystemClock, so a page, a collector or an export then sees
    that day whatever day the suite runs on. Call it before the scenario issues anything."""

    def on(day: date) -> None:
        moment = datetime.combine(day, time(18), UTC)
        monkeypatch.setattr(SystemClock, "now", lambda self: moment)

    return on
