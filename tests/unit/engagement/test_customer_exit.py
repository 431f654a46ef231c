"""CustomerExit over in-memory fakes: the honest exit from the invoice page. The page states the end
date the cancellation use case previews and changes nothing; confirming cancels at the period's end,
audits it, publishes the page again and emails one confirmation, however often it is posted, and a
confirmation that failed to send goes out on the next post."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from billing.domain.page.exit import ExitView
from billing.domain.page.view import PlanFitView
from billing.domain.scenario import parse_customer
from billing.services.invoice_pages import InvoiceNotFound
from billing.services.ports import CustomerAccount, PageInputs
from billing.services.subscriptions.cancel import CancelSubscription
from billing.services.subscriptions.customer_exit import CustomerExit
from billing.services.subscriptions.ports import SubscriptionRecord
from infra import demo_data
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing_run import FakeTenants
from tests.fakes.claims import FakeClaims
from tests.fakes.subscriptions import FakeSubscriptionRecords
from tests.unit.billing_run.test_issue_invoice import TENANT, World


@dataclass
class AccountsOf:
    """The invoice pages' customer directory over the subscription records: one customers table, as
    on AWS, so the page the exit publishes again sees the cancellation."""

    records: FakeSubscriptionRecords

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        record = self.records.get(tenant_id, customer_id)
        return None if record is None else record.account


@dataclass
class Letters:
    written: list[ExitView] = field(default_factory=list)
    fail_next: bool = False

    def confirmed(self, view: ExitView, country: str) -> tuple[str, str, str]:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the template store is down")
        self.written.append(view)
        return f"Din sista dag: {view.last_day}", "text", "<p>html</p>"


@dataclass
class NoAdvice:
    asked: list[PageInputs] = field(default_factory=list)

    def plan_fit(self, inputs: PageInputs) -> PlanFitView | None:
        self.asked.append(inputs)
        return None


@dataclass
class Exit:
    world: World
    use_case: CustomerExit
    records: FakeSubscriptionRecords
    audit: FakeAuditTrail
    letters: Letters
    advice: NoAdvice
    token: str
    customer_id: str

    def letters_sent(self) -> list[str]:
        """The subjects emailed after the invoice's own email."""
        return [m["subject"] for m in self.world.mailer.sent if not m["subject"].startswith("Invoice")]


def _exit() -> Exit:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    customer = demo_data.customers(1, history_start=date(2025, 12, 1), tenant_id=TENANT)[0]
    account: Any = world.customers.get(TENANT, stored.invoice.customer_id)
    records = FakeSubscriptionRecords()
    records.records[(TENANT, account.customer.id)] = SubscriptionRecord(
        parse_customer(customer.profile), account.email, customer.subscription, 1, date(2026, 12, 1), None
    )
    world.pages = replace(world.pages, customers=AccountsOf(records))  # type: ignore[arg-type]
    tenants = FakeTenants({TENANT: world.pages.tenants.get(TENANT)})
    audit, letters, advice = FakeAuditTrail(), Letters(), NoAdvice()
    use_case = CustomerExit(
        invoices=world.ledger,
        pages=world.pages,
        cancel=CancelSubscription(records=records, tenants=tenants, clock=world.clock),
        advice=advice,
        confirmations=FakeClaims(),
        mailer=world.mailer,
        mail=letters,
        audit=audit,
        clock=world.clock,
        pages_base_url="https://pages.example",
        api_base_url="https://api.example",
    )
    return Exit(world, use_case, records, audit, letters, advice, stored.page_token, account.customer.id)


def test_the_page_states_the_end_the_cancellation_would_give_and_changes_nothing() -> None:
    # Given a customer whose period runs through November
    ex = _exit()
    published = ex.world.calls.count("s3.publish")
    # When they open the exit page
    view = ex.use_case.page(ex.token)
    # Then it states the period's last day as their last, not yet ended, with the links to go back
    # or confirm; and the advice was asked from the invoice page's own inputs
    assert (view.last_day, view.ended) == (date(2026, 11, 30), False)
    assert view.confirm_url == f"https://api.example/v1/pages/{ex.token}/exit"
    assert view.page_url == f"https://pages.example/i/{ex.token}"
    assert view.brand == "Norrsken Mobil" and [i.stored.page_token for i in ex.advice.asked] == [ex.token]
    # And nothing changed: the subscription, the trail, the page and the mailbox are as they were
    record = ex.records.get(TENANT, ex.customer_id)
    assert record is not None and record.version == 1 and "end_date" not in (record.subscription or {})
    assert ex.audit.trails == {} and ex.letters_sent() == []
    assert ex.world.calls.count("s3.publish") == published


def test_confirming_cancels_at_the_periods_end_once_with_one_email_however_often_it_is_posted() -> None:
    ex = _exit()
    # When the customer confirms, and the form is posted twice more (a double click, a retry)
    first = ex.use_case.confirm(ex.token)
    again = [ex.use_case.confirm(ex.token) for _ in range(2)]
    # Then the subscription ends on the period's last day, once
    account = AccountsOf(ex.records).get(TENANT, ex.customer_id)
    assert account is not None and account.subscription.end_date == date(2026, 12, 1)
    assert first.ended and first.last_day == date(2026, 11, 30) and all(v == first for v in again)
    # And the trail has one cancellation from the page, and one confirmation was emailed
    (stored,) = ex.world.stored()
    events = [e for e in ex.audit.events(TENANT, stored.invoice_id) if e.action == "cancelled_from_page"]
    assert [(e.actor, e.details) for e in events] == [("customer", {"ends": "2026-12-01"})]
    assert ex.letters_sent() == ["Din sista dag: 2026-11-30"]


def test_a_confirmation_that_failed_to_send_goes_out_on_the_next_post() -> None:
    ex = _exit()
    ex.letters.fail_next = True
    # When the first confirm cancels but its email fails
    with pytest.raises(ConnectionError):
        ex.use_case.confirm(ex.token)
    assert ex.letters_sent() == []
    # Then the next post sends it (the claim was given back), and the cancellation is not repeated
    ex.use_case.confirm(ex.token)
    assert ex.letters_sent() == ["Din sista dag: 2026-11-30"]
    (stored,) = ex.world.stored()
    assert [e.action for e in ex.audit.events(TENANT, stored.invoice_id)] == ["cancelled_from_page"]


def test_an_unknown_link_is_refused_by_name() -> None:
    ex = _exit()
    with pytest.raises(InvoiceNotFound) as unknown:
        ex.use_case.confirm("x" * 32)
    assert unknown.value.field == "token" and ex.audit.trails == {}
