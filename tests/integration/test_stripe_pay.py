"""Paying an invoice from its page on the local stack, against the local Stripe stand-in."""

from __future__ import annotations

import pytest

from billing.wiring.core import audit_trail
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import complete_checkout, issue, request

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture


def test_pay_creates_one_session_per_attempt_and_the_webhook_turns_the_page_to_paid(
    local_env, tenant_id, stripe_fake
):
    # Given an issued invoice whose page shows a Pay link
    issued = issue(local_env, tenant_id, stripe_fake)
    pay_url = issued.link("pay-button")
    assert pay_url.endswith(f"/v1/pages/{issued.stored.page_token}/pay")

    # When the customer clicks Pay twice (a double click, a retried request)
    first = request(pay_url)
    second = request(pay_url)

    # Then both answers redirect to the same Checkout Session, created with one idempotency key
    assert first[0] == 303 and second[0] == 303
    checkout_url = first[1]["Location"]
    assert checkout_url == second[1]["Location"] and checkout_url.startswith(stripe_fake.url + "/checkout/")
    creates = [
        r
        for r in stripe_fake.requests
        if r.path == "/v1/checkout/sessions"
        and r.params["metadata"]["invoice_id"] == issued.stored.invoice_id
    ]
    assert len(creates) == 1 and creates[0].status == 200
    assert creates[0].idempotency_key == f"{issued.stored.invoice_id}:checkout:1"
    params = creates[0].params
    assert params["line_items"]["0"]["price_data"]["unit_amount"] == str(issued.stored.amount_due)
    assert params["success_url"].startswith(issued.page_url) and params["cancel_url"] == issued.page_url
    # SEK: card, Klarna and Swish, through the pinned version's allowed_payment_method_types
    assert sorted(params["allowed_payment_method_types"].values()) == ["card", "klarna", "swish"]
    assert issued.refreshed().state["stripe"]["payments_attempts"] == 1

    # When they pay on the hosted page
    status, headers, _ = complete_checkout(checkout_url)

    # Then they are sent back to their page, which already shows the invoice paid
    assert status == 303 and headers["Location"].startswith(issued.page_url)
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_paid == issued.stored.amount_due
    page = issued.page()
    assert 'data-testid="pay-button"' not in page
    # And a receipt was emailed, and the audit trail says who paid
    receipts = [m for m in emails_to(local_env.moto_url, issued.email) if "Kvitto" in m["subject"]]
    assert len(receipts) == 1
    actions = [e.action for e in audit_trail().events(tenant_id, issued.stored.invoice_id)]
    assert "payment_received" in actions

    # When the customer comes back to the Pay link after paying
    again = request(pay_url)
    # Then they land on the page (nothing left to pay) and no new session was made
    assert again[0] == 303 and again[1]["Location"] == issued.page_url


def test_a_changed_amount_due_starts_a_new_attempt_with_a_new_key(local_env, tenant_id, stripe_fake):
    # Given a Checkout Session for the whole amount
    issued = issue(local_env, tenant_id, stripe_fake)
    pay_url = issued.link("pay-button")
    first = request(pay_url)[1]["Location"]
    # And a partial payment arriving from elsewhere (another session, paid in part)
    from datetime import UTC, datetime

    from billing.domain.payments import PaymentSucceeded
    from billing.wiring.core import apply_payment_event

    apply_payment_event()(
        tenant_id,
        issued.stored.invoice_id,
        PaymentSucceeded(
            event_id="evt_partial",
            event_type="payment_intent.succeeded",
            occurred_at=datetime.now(UTC),
            invoice_id=issued.stored.invoice_id,
            payment_ref="pi_partial",
            amount=1000,
            currency=issued.stored.invoice.currency,
        ),
        "test",
    )

    # When the customer clicks Pay again
    second = request(pay_url)[1]["Location"]

    # Then a new session for the rest was created under attempt 2
    assert second != first
    keys = [
        r.idempotency_key
        for r in stripe_fake.requests
        if r.path == "/v1/checkout/sessions"
        and r.params["metadata"]["invoice_id"] == issued.stored.invoice_id
    ]
    assert keys == [f"{issued.stored.invoice_id}:checkout:1", f"{issued.stored.invoice_id}:checkout:2"]
    session = stripe_fake.sessions[second.rsplit("/", 1)[1]]
    assert session["amount_total"] == issued.stored.amount_due - 1000


def test_an_unknown_link_is_not_found(local_env, stripe_fake):
    status, _, _ = request(f"{local_env.server.url}/v1/pages/{'x' * 32}/pay")
    assert status == 404
