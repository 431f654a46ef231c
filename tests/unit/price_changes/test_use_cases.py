"""The price-change use cases over in-memory ports: scheduling's refusals name the field, notices go
out once each even when a send fails, choices are recorded through the token and carried out on the
effective date through the subscription use cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from billing.domain.pricing import compute_invoice
from billing.domain.scenario import parse_customer, parse_subscription
from billing.services.errors import PermanentError
from billing.services.price_changes.carry_out import CarryOut
from billing.services.price_changes.catalog import CatalogPlans, PlanNotFound
from billing.services.price_changes.choose import ChoiceClosed, ChooseOnNotice
from billing.services.price_changes.fields import VersionSchedule
from billing.services.price_changes.notify import NotifyCustomers
from billing.services.price_changes.schedule import ScheduleVersion
from billing.services.price_changes.uptake import notice_counts, uptake
from billing.services.subscriptions.documents import SubscriptionConflict
from tests.unit.price_changes.fakes import (
    FakeSender,
    FakeStore,
    FakeSubscribers,
    FixedClock,
    NoHistory,
    Tokens,
    at,
    customer,
    subscription,
)

CHARGES = [
    {"code": "fee", "name": "Fee", "model": "flat", "amount": 12900},
    {"code": "calls", "name": "Calls", "model": "per_unit", "metric": "calls", "unit_price": "2.5"},
]


def _body(**extra: Any) -> VersionSchedule:
    return VersionSchedule.model_validate(
        {"effective_date": "2027-03-01", "reason": "Higher energy costs", "charges": CHARGES, **extra}
    )


def test_a_version_is_scheduled_with_the_next_code_and_listed() -> None:
    store, clock = FakeStore(), FixedClock(at("2027-01-15"))
    view = ScheduleVersion(store, clock)("t1", "bas", _body())
    assert (view.code, view.version, view.effective_from, view.notice_months) == (
        "bas@v2",
        2,
        "2027-03-01",
        1,
    )
    plans = CatalogPlans(store, clock)
    shown = plans.show("t1", "bas")
    assert [v.code for v in shown.versions] == ["bas", "bas@v2"]
    assert shown.current_version == "bas"
    assert CatalogPlans(store, FixedClock(at("2027-03-01"))).show("t1", "bas").current_version == "bas@v2"
    assert [p.code for p in plans.list("t1").data] == ["bas", "plus"]
    later = _body(effective_date="2027-05-01")
    assert ScheduleVersion(store, clock)("t1", "bas", later).code == "bas@v3"


@pytest.mark.parametrize(
    ("settings", "body", "field"),
    [
        ({}, {"effective_date": "2027-02-15"}, "effective_date"),  # under a month's notice
        ({"sector": "electricity"}, {"effective_date": "2027-03-01"}, "effective_date"),  # two months
        ({"sector": "electricity"}, {"notice_months": 1, "effective_date": "2027-05-01"}, "notice_months"),
        ({"price_change_notice_months": 3}, {"notice_months": 2}, "notice_months"),
        (
            {},
            {"charges": [{"code": "fee", "name": "Fee", "model": "flat", "amount": -1}]},
            "charges[0].amount",
        ),
        ({}, {"charges": [{"code": "fee", "model": "nonsense"}]}, "charges[0].model"),
    ],
)
def test_a_change_refused_names_the_field(settings: dict[str, Any], body: dict[str, Any], field: str) -> None:
    store = FakeStore()
    store.settings.update(settings)
    with pytest.raises(PermanentError) as caught:
        ScheduleVersion(store, FixedClock(at("2027-01-15")))("t1", "bas", _body(**body))
    assert caught.value.field == field
    assert store.revision == 0 and not store.changes_


def test_an_unknown_plan_or_a_version_before_the_latest_is_refused() -> None:
    store, clock = FakeStore(), FixedClock(at("2027-01-15"))
    with pytest.raises(PlanNotFound):
        ScheduleVersion(store, clock)("t1", "nope", _body())
    ScheduleVersion(store, clock)("t1", "bas", _body(effective_date="2027-04-01"))
    with pytest.raises(PermanentError) as caught:
        ScheduleVersion(store, clock)("t1", "bas", _body(effective_date="2027-03-20"))
    assert caught.value.field == "effective_date"
    with pytest.raises(PlanNotFound):
        ScheduleVersion(store, clock)("t1", "bas@v2", _body())


def test_the_sector_minimum_is_part_of_the_tenant_settings() -> None:
    store = FakeStore()
    store.settings.update({"sector": "electricity", "price_change_notice_months": 1})
    with pytest.raises(Exception) as caught:
        store.tenant("t1")
    assert "price_change_notice_months" in str(caught.value)


def test_bills_issued_before_the_effective_date_are_unchanged() -> None:
    store = FakeStore()
    before = store.tenant("t1")
    who, sub = parse_customer(customer()), parse_subscription(subscription())
    kwargs = {"customer": who, "subscription": sub, "events": [], "period_start": date(2027, 2, 1)}
    issued = compute_invoice(tenant=before.settings, catalog=before.catalog, **kwargs)
    ScheduleVersion(store, FixedClock(at("2027-01-15")))("t1", "bas", _body())
    after = store.tenant("t1")
    assert compute_invoice(tenant=after.settings, catalog=after.catalog, **kwargs) == issued
    moved = parse_subscription(
        {
            **subscription(),
            "phases": [{"plan": "bas", "start": "2026-01-01"}, {"plan": "bas@v2", "start": "2027-03-01"}],
        }
    )
    kwargs["subscription"] = moved
    assert compute_invoice(tenant=after.settings, catalog=after.catalog, **kwargs).total == issued.total
    kwargs["period_start"] = date(2027, 3, 1)
    assert compute_invoice(tenant=after.settings, catalog=after.catalog, **kwargs).total > issued.total


class _Recorder:
    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail = fail

    def __call__(self, tenant_id: str, customer_id: str, request: Any, *, preview: bool = False) -> object:
        if self.fail:
            raise self.fail
        self.calls.append((customer_id, request))
        return object()


def _world() -> tuple[FakeStore, FakeSender, NotifyCustomers, FixedClock]:
    store, sender, clock = FakeStore(), FakeSender(), FixedClock(at("2027-01-15"))
    ScheduleVersion(store, clock)("t1", "bas", _body())
    people = FakeSubscribers(
        [
            (customer("c1"), subscription("c1")),
            (customer("c2"), subscription("c2")),
            (customer("c3"), subscription("c3")),
            (customer("c4"), subscription("c4", "plus")),  # another plan: not affected
        ]
    )
    notify = NotifyCustomers(store, people, NoHistory(), sender, Tokens(), clock)
    return store, sender, notify, clock


def test_notices_go_out_once_each_and_a_failed_send_is_not_lost() -> None:
    store, sender, notify, _ = _world()
    sender.fail_next = 1
    (change,) = store.open_changes()
    assert notify(change) == (3, 2)
    (change,) = store.open_changes()
    assert change.state == "noticed"
    assert notify(change) == (0, 1)
    assert notify(change) == (0, 0)
    assert sorted(sender.emailed) == ["c1", "c2", "c3"]
    assert uptake(store, change).notices_sent == 3


def test_choices_are_recorded_by_token_and_carried_out_on_the_effective_date() -> None:
    store, sender, notify, clock = _world()
    (change,) = store.open_changes()
    notify(change)
    tokens = {n.customer_id: n.page_token for n in store.notices("t1", "bas@v2")}
    choose = ChooseOnNotice(store, sender, clock)
    with pytest.raises(PermanentError) as caught:
        choose(tokens["c1"], "maybe")
    assert caught.value.field == "choice"
    with pytest.raises(PermanentError):
        choose(tokens["c1"], "switch")  # no better plan was found for this (empty) history
    assert choose(tokens["c1"], "leave").choice == "leave"
    assert choose(tokens["c1"], "leave").choice == "leave"  # the same again: one record
    assert choose(tokens["c2"], "accept").choice == "accept"
    with pytest.raises(PermanentError):
        choose("unknown-token-000000000000000", "accept")

    change_plan, cancel = _Recorder(), _Recorder()
    (change,) = store.open_changes()
    carry = CarryOut(store, change_plan, cancel, clock)
    assert carry(change) == 0  # before the effective date nothing happens
    clock.at = at("2027-03-01")
    assert carry(change) == 3
    assert [c for c, _ in cancel.calls] == ["c1"] and cancel.calls[0][1].at == "now"
    assert sorted((c, r.plan) for c, r in change_plan.calls) == [("c2", "bas@v2"), ("c3", "bas@v2")]
    assert store.open_changes() == []
    assert carry(change) == 0  # a rerun does nothing twice
    with pytest.raises(ChoiceClosed):
        choose(tokens["c3"], "leave")
    counts = uptake(store, change)
    assert (counts.left, counts.accepted, counts.no_choice, counts.carried_out) == (1, 1, 1, 3)
    assert notice_counts(store, "t1") == {"2027-01": {"notices": 3, "leave": 1, "accept": 1}}


def test_a_notice_sent_too_late_keeps_the_old_version() -> None:
    store, _, notify, clock = _world()
    clock.at = at("2027-02-10")  # the sends failed until less than a month was left
    (change,) = store.open_changes()
    notify(change)
    (change,) = store.open_changes()
    clock.at = at("2027-03-01")
    change_plan = _Recorder()
    CarryOut(store, change_plan, _Recorder(), clock)(change)
    assert change_plan.calls == []
    assert {n.outcome for n in store.notices("t1", "bas@v2")} == {"kept"}


def test_a_subscription_ended_meanwhile_is_marked_and_not_retried() -> None:
    store, _, notify, clock = _world()
    (change,) = store.open_changes()
    notify(change)
    (change,) = store.open_changes()
    clock.at = at("2027-03-02")
    gone = _Recorder(SubscriptionConflict("the subscription is not active today", field="customer_id"))
    CarryOut(store, gone, _Recorder(), clock)(change)
    assert {n.outcome for n in store.notices("t1", "bas@v2")} == {"ended"}
