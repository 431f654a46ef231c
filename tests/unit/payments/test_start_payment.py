"""StartPayment over in-memory fakes (tests/fakes/stripe.py and the billing run's): the invoice page's
pay and autopay buttons. A click reuses its Checkout Session while Stripe can still use it (one
idempotency key per invoice and attempt); an invoice with nothing to pay, a merchant without card
payments and an unknown link are refused by name, and nothing reaches Stripe."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billing.services.invoice_pages import InvoiceNotFound
from billing.services.payments import StartPayment
from billing.services.payments.start_payment import NothingToPay, PaymentsDisabled
from billing.services.ports import StoredInvoice
from tests.fakes.billing_run import FakeTenants
from tests.fakes.stripe import FakeGateway, FakeStripeRecords
from tests.unit.billing_run.test_issue_invoice import NOW, TENANT, World

PAGES = "https://pages.example/"


def _world() -> tuple[World, StartPayment, FakeGateway, FakeStripeRecords, StoredInvoice]:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    gateway, records = FakeGateway(), FakeStripeRecords()
    start = StartPayment(
        invoices=world.ledger,
        tenants=world.pages.tenants,
        customers=world.pages.customers,
        records=records,
        gateways=lambda tenant_id: gateway,
        clock=world.clock,
        pages_base_url=PAGES,
    )
    return world, start, gateway, records, stored


def test_pay_opens_checkout_for_what_is_due_returning_to_the_page() -> None:
    # Given an issued invoice
    _, start, gateway, records, stored = _world()
    # When the customer presses pay
    url = start.pay(stored.page_token)
    # Then Checkout opens for this invoice's first attempt, and comes back to its page
    ((kind, request),) = gateway.requests
    assert (kind, request.invoice_id, request.attempt, request.currency) == (
        "payment",
        stored.invoice_id,
        1,
        stored.invoice.currency,
    )
    page = f"https://pages.example/i/{stored.page_token}"
    assert (request.success_url, request.cancel_url) == (f"{page}?paid=1", page)
    assert request.customer_email and "card" in request.payment_methods
    # And the session is remembered on the invoice's Stripe record, with the amount it asks
    checkout = records.invoice_record(TENANT, stored.invoice_id).checkout
    assert checkout is not None and (checkout.url, checkout.amount, checkout.attempt) == (
        url,
        stored.amount_due,
        1,
    )


def test_a_second_click_reuses_the_session_and_a_day_later_a_new_attempt_starts() -> None:
    world, start, gateway, _, stored = _world()
    first = start.pay(stored.page_token)
    # When the customer clicks again the same hour, then it is the same session, not a second request
    assert start.pay(stored.page_token) == first and len(gateway.requests) == 1
    # When they come back after Stripe's 24 hours, then a new attempt makes a new session
    world.clock.at = NOW + timedelta(hours=25)
    later = start.pay(stored.page_token)
    assert later != first and [r.attempt for _, r in gateway.requests] == [1, 2]


def test_autopay_opens_a_setup_session_with_the_methods_that_can_be_saved() -> None:
    _, start, gateway, records, stored = _world()
    url = start.autopay(stored.page_token)
    ((kind, request),) = gateway.requests
    assert kind == "setup" and request.success_url.endswith("?autopay=1")
    # Swish cannot be saved for later payments; a card can
    assert "card" in request.payment_methods and "swish" not in request.payment_methods
    setup = records.invoice_record(TENANT, stored.invoice_id).setup
    assert setup is not None and setup.url == url


def test_nothing_to_pay_no_card_payments_and_an_unknown_link_are_refused_by_name() -> None:
    world, start, gateway, _, stored = _world()
    # Given the invoice paid
    world.ledger.invoices[(TENANT, stored.invoice_id)] = replace(stored, status="paid", amount_due=0)
    with pytest.raises(NothingToPay) as paid:
        start.pay(stored.page_token)
    assert paid.value.field == "amount_due"
    # Given a merchant that turned card payments off
    world.ledger.invoices[(TENANT, stored.invoice_id)] = stored
    tenant = world.pages.tenants.get(TENANT)
    off = replace(tenant, page={**tenant.page, "payments": {"enabled": False}})
    start = replace(start, tenants=FakeTenants({TENANT: off}))
    with pytest.raises(PaymentsDisabled) as disabled:
        start.pay(stored.page_token)
    assert disabled.value.field == "payments"
    with pytest.raises(InvoiceNotFound) as unknown:
        start.pay("x" * 32)
    assert unknown.value.field == "token"
    # And Stripe heard of none of it
    assert gateway.requests == []


def test_the_sessions_age_is_kept_on_the_injected_clock() -> None:
    # The reuse window is measured on the use case's clock, never the machine's
    _, start, _, records, stored = _world()
    start.pay(stored.page_token)
    checkout = records.invoice_record(TENANT, stored.invoice_id).checkout
    assert checkout is not None and checkout.created_at == NOW
