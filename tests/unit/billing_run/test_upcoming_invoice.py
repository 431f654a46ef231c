"""The invoice so far (UpcomingInvoice), against the billing run's fakes: next period's fee and this
period's usage up to now, priced by the engine's preview, nothing stored or numbered."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.services.errors import PermanentError
from billing.services.invoices.upcoming import UpcomingInvoice
from tests.fakes.billing_run import FakeTenants, FixedClock
from tests.unit.billing_run.test_issue_invoice import TENANT, World

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # halfway through November


def _upcoming(world: World) -> UpcomingInvoice:
    tenants = world.pages.tenants
    assert isinstance(tenants, FakeTenants)
    return UpcomingInvoice(
        customers=world.customers, tenants=tenants, usage=world.usage, clock=FixedClock(NOW)
    )


def test_the_invoice_so_far_bills_this_months_usage_up_to_now_and_stores_nothing() -> None:
    # Given a customer with 10 minutes of calls abroad on 3 November and 2 on 20 November (after now)
    world = World(1)
    world.usage.totals["c00001"] = {
        (date(2026, 11, 3), "intl_minutes"): (Decimal(10), 4),
        (date(2026, 11, 20), "intl_minutes"): (Decimal(2), 1),
    }
    # When the merchant asks for the upcoming invoice on 16 November
    upcoming = _upcoming(world)(TENANT, "c00001")
    # Then it is a preview, unnumbered, of the period from 1 December
    assert (upcoming.status, upcoming.number, upcoming.period_start) == ("preview", None, "2026-12-01")
    lines = upcoming.document["lines"] if upcoming.document else []
    # With November's calls so far: 10 minutes at 1.192 kr, the 20th not yet
    calls = [x for x in lines if x["charge_code"] == "intl_calls"]
    assert [(x["quantity"], x["amount"]) for x in calls] == [("10", 1192)]
    # And the subscription fee for December, in advance
    assert any(x["charge_code"] == "subscription" and x["kind"] == "fee" for x in lines)
    # And nothing was issued or stored
    assert world.ledger.invoices == {}


def test_a_customer_without_a_subscription_is_not_found() -> None:
    world = World(1)
    with pytest.raises(PermanentError) as refused:
        _upcoming(world)(TENANT, "nobody")
    assert (refused.value.field, refused.value.code) == ("customer_id", "not_found")
    with pytest.raises(PermanentError):
        _upcoming(world)("another-tenant", "c00001")
