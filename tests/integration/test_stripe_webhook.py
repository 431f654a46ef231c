"""Stripe webhooks through the local server's route and handler: signatures, time window, exactly-once
per event id, order, partial and over-payments, refunds, disputes, unknown types, and quiet logs."""

from __future__ import annotations

import json
import time

import pytest

from billing.adapters.dynamo.models import CustomerModel
from billing.wiring.core import audit_trail, stripe_events
from infra.local_lambda import LAMBDA_LOG
from infra.stripe_fake import DEFAULT_WEBHOOK_SECRET
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import (
    Issued,
    complete_checkout,
    event,
    payment_intent,
    post_event,
    request,
)

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixtures
issued = stripe_support.issued


def _receipts(issued: Issued) -> list[dict]:
    return [m for m in emails_to(issued.env.moto_url, issued.email) if "Kvitto" in m["subject"]]


def test_a_valid_signed_event_settles_the_invoice_and_answers_200(issued):
    # Given a payment for the whole amount, signed with the tenant's endpoint secret
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    # When Stripe delivers it
    status, body = post_event(issued.env, issued.tenant_id, evt)
    # Then it is acknowledged and the invoice is paid, its page re-rendered, a receipt sent
    assert status == 200 and json.loads(body) == {"received": True}
    assert issued.refreshed().status == "paid"
    assert 'data-testid="pay-button"' not in issued.page()
    assert len(_receipts(issued)) == 1


@pytest.mark.parametrize(
    ("secret", "age"),
    [("whsec_forged", 0), (DEFAULT_WEBHOOK_SECRET, 600), (DEFAULT_WEBHOOK_SECRET, -600)],
    ids=["forged", "stale", "future"],
)
def test_forged_stale_and_future_deliveries_are_refused_with_400(issued, secret, age):
    # Given a payment event signed with a wrong secret, or ten minutes ago, or ten minutes ahead
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    # When it is delivered
    status, _ = post_event(issued.env, issued.tenant_id, evt, secret=secret, timestamp=int(time.time()) - age)
    # Then it is refused and nothing changes
    assert status == 400
    stored = issued.refreshed()
    assert stored.status == "open" and stored.amount_paid == 0 and "payments" not in stored.state


def test_an_unsigned_or_tampered_body_is_refused(issued):
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    payload = json.dumps(evt)
    from billing.adapters.stripe_webhook import sign_payload

    header = sign_payload(payload, DEFAULT_WEBHOOK_SECRET, int(time.time()))
    tampered = payload.replace(str(issued.stored.amount_due), "1")
    url = f"{issued.env.server.url}/v1/webhooks/stripe/{issued.tenant_id}"
    assert request(url, method="POST", data=tampered.encode(), headers={"Stripe-Signature": header})[0] == 400
    assert request(url, method="POST", data=payload.encode())[0] == 400
    assert issued.refreshed().amount_paid == 0


def test_the_same_event_delivered_twice_is_processed_once(issued):
    # Given a partial payment event
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, 1000))
    # When Stripe delivers it twice (its retry re-signs with a new timestamp)
    first = post_event(issued.env, issued.tenant_id, evt)
    second = post_event(issued.env, issued.tenant_id, evt, timestamp=int(time.time()) + 1)
    # Then both are acknowledged, the money counts once and one receipt is sent
    assert first[0] == second[0] == 200
    assert issued.refreshed().amount_paid == 1000
    assert len(_receipts(issued)) == 1


def test_order_does_not_matter_a_late_processing_or_failure_never_undoes_success(issued):
    # Given one PaymentIntent's events: processing, failed and succeeded, created in that order
    now = int(time.time())
    pid = "pi_ordered_0001"
    amount = issued.stored.amount_due
    processing = event(
        "payment_intent.processing",
        payment_intent(issued.stored, amount, status="processing", pid=pid),
        created=now - 20,
    )
    failed = event(
        "payment_intent.payment_failed",
        payment_intent(issued.stored, amount, status="requires_payment_method", pid=pid),
        created=now - 10,
    )
    succeeded = event("payment_intent.succeeded", payment_intent(issued.stored, amount, pid=pid), created=now)
    # When they arrive in the opposite order
    for evt in (succeeded, failed, processing):
        assert post_event(issued.env, issued.tenant_id, evt)[0] == 200
    # Then the invoice is paid, once
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_paid == amount
    assert stored.state["payments"]["payments"][pid]["status"] == "succeeded"
    assert len(_receipts(issued)) == 1


def test_an_unknown_event_type_is_acknowledged_and_ignored(issued):
    evt = event("customer.created", {"id": "cus_123", "object": "customer"})
    status, _body = post_event(issued.env, issued.tenant_id, evt)
    assert status == 200
    assert issued.refreshed().state.get("payments") is None


def test_a_partial_payment_leaves_the_rest_due_and_an_overpayment_goes_to_the_balance(issued):
    due = issued.stored.amount_due
    # When a third is paid
    post_event(
        issued.env,
        issued.tenant_id,
        event("payment_intent.succeeded", payment_intent(issued.stored, due // 3)),
    )
    # Then the rest is still due and the page still offers to pay it
    stored = issued.refreshed()
    assert stored.status == "open" and stored.amount_due == due - due // 3
    assert 'data-testid="pay-button"' in issued.page()
    # When the customer then pays the full amount again
    post_event(
        issued.env, issued.tenant_id, event("payment_intent.succeeded", payment_intent(issued.stored, due))
    )
    # Then the invoice is paid and the excess is credit on the customer's balance
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_due == 0
    customer = CustomerModel.get(issued.tenant_id, stored.invoice.customer_id, consistent_read=True)
    assert int(customer.balance) == due // 3
    assert len(_receipts(issued)) == 2


def _pay_through_checkout(issued: Issued) -> str:
    location = request(issued.link("pay-button"))[1]["Location"]
    complete_checkout(location)
    session = issued.fake.sessions[location.rsplit("/", 1)[1]]
    return str(session["payment_intent"])


def test_refunds_create_credit_notes_once_each(issued):
    # Given an invoice paid through Checkout
    pid = _pay_through_checkout(issued)
    total = issued.stored.amount_due
    # When part of it is refunded, the refund event is delivered again, and then the rest is refunded
    refund = issued.fake.refund(pid, 1000)
    issued.fake.redeliver(refund["id"])
    issued.fake.refund(pid)
    # Then two credit notes cover exactly what was refunded
    record = issued.refreshed().state["stripe"]
    assert [n["amount"] for n in record["credit_notes"]] == [1000, total - 1000]
    assert record["credited_total"] == total
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("refund_issued") == 2 and actions.count("credit_note_issued") == 2
    # And the page accounts for both refunds with their credit notes, and the customer was told of each once
    page = issued.page()
    numbers = [n["number"] for n in record["credit_notes"]]
    assert page.count('data-testid="credit-note"') == 2 and all(n in page for n in numbers)
    told = [m for m in emails_to(issued.env.moto_url, issued.email) if m["subject"].startswith("Kreditnota")]
    assert sorted(m["subject"].split(":")[0] for m in told) == sorted(f"Kreditnota {n}" for n in numbers)


def test_a_full_refund_issues_a_formal_credit_note(issued):
    pid = _pay_through_checkout(issued)
    issued.fake.refund(pid)
    (note,) = issued.refreshed().state["stripe"]["credit_notes"]
    assert note["document"]["kind"] == "credit_note"
    assert note["document"]["total"] == -issued.stored.invoice.total


def test_a_dispute_flags_the_invoice(issued):
    # Given a paid invoice
    pid = _pay_through_checkout(issued)
    # When the customer's bank disputes the payment (a dispute carries none of our metadata)
    opened = issued.fake.dispute(pid)
    # Then the invoice is flagged, found through the payment's id
    payments = issued.refreshed().state["payments"]
    assert payments["disputes"] == {opened["data"]["object"]["id"]: "open"}
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert "dispute_opened" in actions
    # When it closes, the flag is lowered
    issued.fake.close_dispute(opened["data"]["object"]["id"])
    assert issued.refreshed().state["payments"]["disputes"][opened["data"]["object"]["id"]] == "closed"


def test_a_lost_dispute_makes_the_invoice_owed_again(issued):
    # Given a paid invoice whose payment the customer's bank disputes
    pid = _pay_through_checkout(issued)
    opened = issued.fake.dispute(pid)
    assert issued.refreshed().status == "paid"
    # When the dispute is lost (the bank keeps the money), and the event is delivered again
    closed = issued.fake.close_dispute(opened["data"]["object"]["id"], status="lost")
    issued.fake.redeliver(closed["id"])
    # Then the invoice is owed its whole amount again, once, and says so on its page
    stored = issued.refreshed()
    assert stored.status == "open" and stored.amount_due == issued.stored.invoice.total
    assert stored.state["payments"]["reversed_refs"] == [pid]
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("payment_reversed") == 1
    # When the customer pays again from the page
    location = request(issued.link("pay-button"))[1]["Location"]
    session = issued.fake.sessions[location.rsplit("/", 1)[1]]
    # Then it is a new Checkout session (the first one was completed), and it settles the invoice
    assert session["payment_intent"] != pid
    complete_checkout(location)
    assert issued.refreshed().status == "paid"


def test_no_secret_or_card_detail_reaches_the_logs(issued, capsys):
    # Given the log so far
    start = LAMBDA_LOG.stat().st_size if LAMBDA_LOG.exists() else 0
    # When a payment is made, refunded, and a forged event is refused
    pid = _pay_through_checkout(issued)
    issued.fake.refund(pid, 100)
    post_event(
        issued.env,
        issued.tenant_id,
        event("payment_intent.succeeded", payment_intent(issued.stored, 5)),
        secret="whsec_forged",
    )
    # Then the functions' log names neither secret nor key nor card
    with LAMBDA_LOG.open(encoding="utf-8") as handle:
        handle.seek(start)
        logged = handle.read()
    # A logger first created outside the local Lambda's redirect writes to the test's own stdout: read
    # that too, so whichever stream the functions' log went to, every line of it is checked.
    logged += capsys.readouterr().out
    assert "webhook refused" in logged and "stripe event processed" in logged
    for secret in (
        DEFAULT_WEBHOOK_SECRET,
        "whsec_forged",
        "sk_test",
        "Stripe-Signature",
        "client_secret",
        "pm_card",
        "v1=",
    ):
        assert secret not in logged


def test_a_handled_event_missing_its_amount_is_acknowledged_counted_and_changes_nothing(issued):
    # Given a payment event without the amount we need
    obj = payment_intent(issued.stored, issued.stored.amount_due)
    del obj["amount"], obj["amount_received"]
    # When it is delivered
    evt = event("payment_intent.succeeded", obj)
    status, _body = post_event(issued.env, issued.tenant_id, evt)
    # Then Stripe is told to stop (retrying cannot help), nothing was paid, and an operator finds it
    assert status == 200
    assert issued.refreshed().amount_paid == 0
    (aside,) = stripe_events().set_aside_events(issued.tenant_id)
    assert aside["event_id"] == evt["id"] and aside["field"] == "amount"


def test_an_event_on_one_tenants_endpoint_never_touches_another_tenants_invoice(issued, local_env):
    # Given another tenant's endpoint, whose secret happens to be the same locally
    other = f"{issued.tenant_id}-other"
    from infra.local_stack import seed_stripe_secret

    seed_stripe_secret(other)
    # When an event naming the first tenant's invoice arrives at the other tenant's endpoint
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    status, _body = post_event(local_env, other, evt)
    # Then it is acknowledged and held there (it names no invoice of that tenant); the invoice is untouched
    assert status == 200
    assert issued.refreshed().amount_paid == 0
    assert [h["event_id"] for h in stripe_events().held_events(other)] == [evt["id"]] * 2


def test_a_tenant_without_a_stripe_secret_is_refused(local_env):
    evt = event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    assert post_event(local_env, "t-no-such-tenant", evt)[0] == 400


def _session(issued: Issued, payment_status: str, pid: str) -> dict:
    return {
        "id": "cs_test_async_0001",
        "object": "checkout.session",
        "mode": "payment",
        "amount_total": issued.stored.amount_due,
        "currency": issued.stored.invoice.currency.lower(),
        "customer": None,
        "payment_intent": pid,
        "payment_status": payment_status,
        "status": "complete",
        "client_reference_id": issued.stored.invoice_id,
        "metadata": {"invoice_id": issued.stored.invoice_id, "tenant_id": issued.tenant_id},
    }


def test_a_bank_debit_through_checkout_is_processing_until_its_async_outcome(issued):
    now = int(time.time())
    pid = "pi_async_0001"
    # When Checkout completes unpaid (a bank debit on its way)
    post_event(
        issued.env,
        issued.tenant_id,
        event("checkout.session.completed", _session(issued, "unpaid", pid), created=now - 5),
    )
    # Then the invoice waits: still open, nothing paid, no receipt
    stored = issued.refreshed()
    assert stored.status == "open" and stored.state["payments"]["payments"][pid]["status"] == "processing"
    assert _receipts(issued) == []
    # When the debit bounces, then the customer pays again on the same session's PaymentIntent
    failed = event("checkout.session.async_payment_failed", _session(issued, "unpaid", pid), created=now - 2)
    post_event(issued.env, issued.tenant_id, failed)
    assert issued.refreshed().state["payments"]["payments"][pid]["status"] == "failed"
    succeeded = event("checkout.session.async_payment_succeeded", _session(issued, "paid", pid), created=now)
    post_event(issued.env, issued.tenant_id, succeeded)
    # Then it is paid, once
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_paid == issued.stored.amount_due
    assert len(_receipts(issued)) == 1
