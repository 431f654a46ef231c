"""Reading a customer's subscription (GetSubscription) against the in-memory records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.domain.parties import Customer
from billing.services.errors import PermanentError
from billing.services.subscriptions.documents import NoSubscription
from billing.services.subscriptions.get import GetSubscription
from tests.fakes.subscriptions import FakeSubscriptionRecords

SUBSCRIPTION = {
    "id": "sub_1",
    "customer_id": "c1",
    "phases": [{"plan": "mini", "start": "2026-01-01"}, {"plan": "max", "start": "2026-12-01"}],
}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _records() -> FakeSubscriptionRecords:
    records = FakeSubscriptionRecords()
    records.add_customer("t1", Customer("c1", "Anna Berg", ("Storgatan 1", "111 22 Stockholm")))
    assert records.start("t1", "c1", SUBSCRIPTION, date(2027, 1, 1), [])
    return records


def test_the_plan_shown_is_the_one_in_force_on_the_customers_own_day() -> None:
    # Given a subscription that moves from mini to max on 1 December, for a customer in Stockholm
    records = _records()
    # When it is read at 23:30 UTC on 30 November: already 1 December in Stockholm
    view = GetSubscription(records=records, clock=Clock(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)))(
        "t1", "c1"
    )
    # Then the plan is max, both phases are listed, and the next invoice date is the schedule's
    assert (view.plan, view.customer_id, view.next_invoice_date) == ("max", "c1", "2027-01-01")
    assert [(p.plan, p.start) for p in view.phases] == [("mini", "2026-01-01"), ("max", "2026-12-01")]
    assert view.paused is False and view.end_date is None
    # And the record carries the billing view the run reads, on the same subscription
    record = records.get("t1", "c1")
    assert record is not None and record.account is not None
    assert record.account.subscription.plan_code_on(date(2026, 12, 1)) == "max"
    # And an hour earlier in Stockholm's day (22:30 UTC, 23:30 local) it is still mini
    earlier = GetSubscription(records=records, clock=Clock(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)))
    assert earlier("t1", "c1").plan == "mini"


def test_an_unknown_customer_another_tenants_customer_and_one_without_a_subscription_are_refused() -> None:
    records = _records()
    records.add_customer("t1", Customer("c2", "Bo Ek", ("Gatan 2", "411 18 Göteborg")))
    read = GetSubscription(records=records, clock=Clock(datetime(2026, 12, 5, 9, tzinfo=UTC)))
    # An id the tenant does not have: not found, naming the field
    with pytest.raises(PermanentError) as missing:
        read("t1", "nobody")
    assert (missing.value.field, missing.value.code) == ("customer_id", "not_found")
    # Another tenant cannot read t1's customer
    with pytest.raises(PermanentError):
        read("t2", "c1")
    # A customer without a subscription: its own refusal (HTTP 404)
    with pytest.raises(NoSubscription):
        read("t1", "c2")
