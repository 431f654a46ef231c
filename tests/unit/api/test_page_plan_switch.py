"""The customer's plan switch from the invoice page (billing.services.subscriptions.page_switch), with
stand-ins for its ports: one press changes once and confirms once; a retry after a failed send sends
it then, never twice; a page made for another subscription or another price is refused, changing
nothing; the render's terms are ChangePlan's own (an upgrade now, a downgrade at period end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from billing.domain.catalog import Anchor, PlanPhase, Subscription
from billing.domain.parties import Customer
from billing.domain.scenario import parse_catalog, parse_tenant_settings
from billing.services.errors import PermanentError
from billing.services.ports import AuditEvent, CustomerAccount, StoredInvoice, TenantAccount
from billing.services.subscriptions.documents import SubscriptionConflict, to_document
from billing.services.subscriptions.page_switch import (
    SwitchPlanFromPage,
    SwitchRefused,
    basis_of,
    switch_quotes,
)
from billing.services.subscriptions.ports import SubscriptionRecord
from infra import demo_data
from tests.unit.payments.test_payment_method_confirmation import _stored

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)
TODAY = date(2026, 12, 4)
CUSTOMER = Customer(
    id="c1",
    name="Saga Lund",
    address=("Storgatan 1",),
    country="SE",
    timezone="Europe/Stockholm",
    language="sv",
)


def _subscription(*phases: tuple[str, date]) -> Subscription:
    return Subscription(
        id="sub_c1",
        customer_id="c1",
        phases=tuple(PlanPhase(p, d) for p, d in phases),
        anchor=Anchor.CALENDAR,
    )


def _tenant() -> TenantAccount:
    return TenantAccount(
        settings=parse_tenant_settings(demo_data.tenant_settings("t1")),
        catalog=parse_catalog(demo_data.CATALOG),
        page={"name": "Norrsken Mobil"},
    )


@dataclass
class World:
    subscription: Subscription
    due_now: int = 4_321
    sends: list[str] = field(default_factory=list)
    fail_sends: int = 0
    changes: int = 0
    published: int = 0
    events: list[AuditEvent] = field(default_factory=list)
    conflict_first: bool = False

    # SubscriptionRecords.get
    def get(self, tenant_id: str, customer_id: str) -> SubscriptionRecord:
        return SubscriptionRecord(CUSTOMER, "saga@example.se", to_document(self.subscription), 1, None, None)

    # ChangePlan
    def __call__(self, tenant_id: str, customer_id: str, request: Any, *, preview: bool = False) -> Any:
        upgrade = request.plan == "max"
        effective = TODAY if upgrade else date(2027, 1, 1)
        result = SimpleNamespace(
            effective_date=effective.isoformat(),
            immediate=upgrade,
            due_now=self.due_now if upgrade else 0,
            invoice=SimpleNamespace(number="NM-9") if upgrade else None,
        )
        if preview:
            return result
        if self.conflict_first:
            # Another press got there first: the change is made, this one lost the race
            self.conflict_first = False
            self._apply(request.plan, effective)
            raise SubscriptionConflict("changed meanwhile", field="customer_id")
        self._apply(request.plan, effective)
        return result

    def _apply(self, plan: str, effective: date) -> None:
        self.changes += 1
        self.subscription = _subscription(
            *((p.plan_code, p.start) for p in self.subscription.phases), (plan, effective)
        )

    # Mailer
    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        if self.fail_sends:
            self.fail_sends -= 1
            raise ConnectionError("SES is down")
        self.sends.append(subject)
        return "m-1"


def _use_case(world: World) -> SwitchPlanFromPage:
    stored = _stored()
    account = CustomerAccount("t1", CUSTOMER, world.subscription, "saga@example.se", date(2027, 1, 1))
    invoices = SimpleNamespace(by_page_token=lambda token: stored if token == stored.page_token else None,
                               get=lambda tenant_id, invoice_id: stored)  # fmt: skip

    def publish(s: StoredInvoice, *rest: Any) -> None:
        world.published += 1

    pages = SimpleNamespace(publish=publish, load=lambda s: (_tenant(), account))
    audit = SimpleNamespace(
        append=lambda tenant_id, invoice_id, event: world.events.append(event),
        events=lambda tenant_id, invoice_id: list(world.events),
    )
    confirmation = SimpleNamespace(
        switched=lambda stored, name, plan, result, url: (f"Du har bytt till {plan}", "t", "h")
    )
    return SwitchPlanFromPage(
        invoices=invoices, pages=pages, records=world, change_plan=world, mailer=world,  # type: ignore[arg-type]
        confirmation=confirmation, audit=audit, clock=SimpleNamespace(now=lambda: NOW),  # type: ignore[arg-type]
        pages_base_url="https://pages.example",
    )  # fmt: skip


def _form(world: World, plan: str = "max", **changes: str) -> dict[str, str]:
    form = {
        "plan": plan,
        "basis": basis_of(world.subscription),
        "quoted": str(world.due_now if plan == "max" else 0),
    }
    return {**form, **changes}


TOKEN = "p" * 32


def test_one_press_changes_once_and_confirms_once_a_second_press_changes_nothing():
    world = World(_subscription(("plus", date(2026, 1, 1))))
    switch = _use_case(world)
    form = _form(world)
    first = switch(TOKEN, form)
    assert first.new and world.changes == 1 and world.sends == ["Du har bytt till Max 50 GB"]
    # A double click posts the same form again
    again = switch(TOKEN, form)
    assert not again.new and world.changes == 1 and len(world.sends) == 1
    assert [e.action for e in world.events] == ["plan_switched", "plan_switch_confirmed"]


def test_a_send_that_fails_goes_out_on_the_retry_once():
    world = World(_subscription(("plus", date(2026, 1, 1))), fail_sends=1)
    switch = _use_case(world)
    form = _form(world)
    with pytest.raises(ConnectionError):
        switch(TOKEN, form)
    assert world.changes == 1 and world.sends == []  # changed, not yet confirmed
    switch(TOKEN, form)  # the customer presses again (or the browser retries)
    switch(TOKEN, form)
    assert world.changes == 1 and world.sends == ["Du har bytt till Max 50 GB"]


def test_two_presses_at_once_change_once():
    world = World(_subscription(("plus", date(2026, 1, 1))), conflict_first=True)
    done = _use_case(world)(TOKEN, _form(world))
    assert not done.new and world.changes == 1


def test_a_page_made_for_another_subscription_or_price_is_refused_changing_nothing():
    world = World(_subscription(("plus", date(2026, 1, 1))))
    switch = _use_case(world)
    with pytest.raises(SwitchRefused) as changed:
        switch(TOKEN, _form(world, basis="0" * 16))
    assert changed.value.field == "basis" and "changed since this page was made" in changed.value.reason
    with pytest.raises(SwitchRefused) as priced:
        switch(TOKEN, _form(world, quoted="1"))
    assert priced.value.field == "quoted"
    assert world.changes == 0 and world.sends == [] and world.published == 2  # re-rendered with today's terms


@pytest.mark.parametrize(
    ("form", "field_name"),
    [
        ({"plan": "", "basis": "0" * 16, "quoted": "0"}, "plan"),
        ({"plan": "max", "basis": "x", "quoted": "0"}, "basis"),
        ({"plan": "max", "basis": "0" * 16, "quoted": "-1"}, "quoted"),
        ({}, "plan"),
    ],
)
def test_a_form_that_is_not_the_pages_names_its_field(form, field_name):
    world = World(_subscription(("plus", date(2026, 1, 1))))
    with pytest.raises(PermanentError) as refused:
        _use_case(world)(TOKEN, form)
    assert refused.value.field == field_name and world.changes == 0


def test_the_terms_on_the_page_are_the_plan_change_engines():
    tenant = _tenant()
    subscription = _subscription(("plus", date(2026, 1, 1)))
    account = CustomerAccount("t1", CUSTOMER, subscription, "saga@example.se", date(2027, 1, 1))
    quotes = {q.plan_code: q for q in switch_quotes(tenant, account, TODAY)}
    # An upgrade takes effect today with the rest of the period invoiced; a downgrade at period end
    assert quotes["max"].immediate and quotes["max"].effective_date == TODAY and quotes["max"].due_now > 0
    assert not quotes["bas"].immediate and quotes["bas"].effective_date == date(2027, 1, 1)
    assert quotes["bas"].due_now == 0 and "plus" not in quotes
    # Once a switch is made, the page says so instead of offering another
    switched = CustomerAccount(
        "t1",
        CUSTOMER,
        _subscription(("plus", date(2026, 1, 1)), ("bas", date(2027, 1, 1))),
        "s",
        date(2027, 1, 1),
    )
    (done,) = switch_quotes(tenant, switched, TODAY)
    assert done.done and done.plan_code == "bas" and done.effective_date == date(2027, 1, 1)
