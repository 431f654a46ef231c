"""The customer switches the invoice page's language (SwitchLanguage), against the billing run's fakes:
the choice is the customer's from then on, audited once, and the page is published again."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound, page_key
from billing.services.page_language import SwitchLanguage
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing_run import FakeCustomers
from tests.unit.billing_run.test_issue_invoice import TENANT, World


@dataclass
class FakeCustomerLanguage:
    """`CustomerLanguage` over the run's customers: True when the language changed."""

    customers: FakeCustomers

    def set_language(self, tenant_id: str, customer_id: str, language: str) -> bool:
        account = self.customers.accounts[(tenant_id, customer_id)]
        if account.customer.language == language:
            return False
        self.customers.accounts[(tenant_id, customer_id)] = replace(
            account, customer=replace(account.customer, language=language)
        )
        return True


def _world() -> tuple[World, SwitchLanguage, FakeAuditTrail, str]:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    audit = FakeAuditTrail()
    switch = SwitchLanguage(
        invoices=world.ledger,
        pages=world.pages,
        customers=FakeCustomerLanguage(world.customers),
        audit=audit,
        clock=world.clock,
    )
    return world, switch, audit, stored.page_token


def test_the_choice_is_the_customers_audited_once_and_the_page_published_again() -> None:
    # Given an issued invoice whose customer reads Swedish
    world, switch, audit, token = _world()
    published = world.calls.count("s3.publish")
    # When the customer chooses English on the page, and posts the form twice
    stored = switch(token, " EN ")
    switch(token, "en")
    # Then the customer's language is English for every later page, email and PDF
    account = world.customers.get(TENANT, stored.invoice.customer_id)
    assert account is not None and account.customer.language == "en"
    # And the choice is in the invoice's trail once, and the page was published again each time
    (event,) = audit.events(TENANT, stored.invoice_id)
    assert (event.action, event.actor, event.details) == ("language_chosen", "customer", {"language": "en"})
    assert world.calls.count("s3.publish") >= published + 2
    assert page_key(token) in world.publisher.pages


def test_a_language_we_do_not_write_and_an_unknown_link_are_refused_by_name() -> None:
    _, switch, audit, token = _world()
    with pytest.raises(PermanentError) as unknown_language:
        switch(token, "de")
    assert unknown_language.value.field == "language"
    with pytest.raises(InvoiceNotFound) as unknown_link:
        switch("x" * 32, "en")
    assert unknown_link.value.field == "token"
    assert audit.trails == {}
