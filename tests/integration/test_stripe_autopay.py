"""Automatic payment on the local stack: saving a method from the page (Checkout in setup mode), the
daily collector charging off-session on the due date, authentication requests, declines retried on the
tenant's schedule, and a detached method falling back to an ordinary invoice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.cli import main as billing_cli
from billing.wiring.core import audit_trail, invoice_ledger, stripe_records
from infra.local_lambda import invoke, scheduler_event
from infra.local_run import run_billing
from tests.integration import stripe_support
from tests.integration.helpers import emails_to, fetch, invoices_of
from tests.integration.stripe_support import (
    Issued,
    complete_checkout,
    event,
    issue,
    post_event,
    request,
)

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _collect(issued: Issued, on: date) -> dict[str, int]:
    """The scheduler's morning call of the collector for `on`, then Stripe's webhooks delivered."""
    event = scheduler_event(
        "CollectPaymentsFunction", datetime.combine(on, time(7), STOCKHOLM), tenant_id=issued.tenant_id
    )
    summary: dict[str, int] = invoke("CollectPaymentsFunction", event)
    issued.fake.wait_for_deliveries()
    return summary


def _charges(issued: Issued) -> list[str]:
    return [
        str(r.idempotency_key)
        for r in issued.fake.requests
        if r.path == "/v1/payment_intents"
        and r.params.get("metadata", {}).get("tenant_id") == issued.tenant_id
    ]


def _set_up_autopay(issued: Issued) -> dict:
    location = request(issued.link("autopay-link"))[1]["Location"]
    status, headers, _ = complete_checkout(location, "card")
    assert status == 303 and headers["Location"].startswith(issued.page_url)
    record = stripe_records().customer_record(issued.tenant_id, issued.stored.invoice.customer_id)
    return dict(record)


def _use_method(issued: Issued, payment_method: str) -> None:
    """The customer's saved method behaves like one of Stripe's test cards."""
    records = stripe_records()
    record = records.customer_record(issued.tenant_id, issued.stored.invoice.customer_id)
    record["mandate"] = {**record["mandate"], "payment_method_ref": payment_method}
    records.change_customer_record(
        issued.tenant_id, issued.stored.invoice.customer_id, lambda _: (record, None)
    )


@pytest.fixture
def issued(local_env, tenant_id, stripe_fake, scenario_clock) -> Issued:
    # Written for 23 November 2026: the invoice of the 1 November run is not due yet.
    scenario_clock(stripe_support.TODAY)
    return issue(local_env, tenant_id, stripe_fake, payments={"retry_days": [0, 3, 7]})


def test_pay_automatically_saves_a_mandate_and_the_collector_charges_it_on_the_due_date(issued):
    # Given the page offers automatic payment
    autopay_url = issued.link("autopay-link")
    assert autopay_url.endswith(f"/v1/pages/{issued.stored.page_token}/autopay")

    # When the customer sets it up with a card on the hosted page
    record = _set_up_autopay(issued)

    # Then a setup-mode session was created once, offering the reusable methods that fit SEK
    (create,) = [
        r
        for r in issued.fake.requests
        if r.path == "/v1/checkout/sessions"
        and r.params["metadata"]["invoice_id"] == issued.stored.invoice_id
    ]
    assert (
        create.params["mode"] == "setup" and create.idempotency_key == f"{issued.stored.invoice_id}:setup:1"
    )
    assert sorted(create.params["allowed_payment_method_types"].values()) == ["card", "klarna"]
    # And the mandate is stored on the customer, active, and the page says the amount will be taken
    assert record["mandate"]["status"] == "active" and record["mandate"]["customer_ref"].startswith("cus_")
    page = issued.page()
    assert 'data-testid="autopay-link"' not in page and 'data-testid="debit-date"' in page

    # When the collector runs the day before the due date, then on it
    due = issued.stored.invoice.due_date
    before = _collect(issued, due - timedelta(days=1))
    on_due = _collect(issued, due)

    # Then it charged once, on the due date, off-session with the charge key, and the webhook settled it
    assert before["charged"] == 0
    assert on_due["settled"] == 1
    assert _charges(issued) == [f"{issued.stored.invoice_id}:charge:1"]
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_paid == issued.stored.amount_due
    receipts = [m for m in emails_to(issued.env.moto_url, issued.email) if "Kvitto" in m["subject"]]
    assert len(receipts) == 1
    # And running again charges nothing
    assert _collect(issued, due)["charged"] == 0 and len(_charges(issued)) == 1


def test_the_next_invoice_says_from_its_first_email_that_it_will_be_charged_automatically(
    issued, scenario_clock
):
    # Given the customer set up automatic payment on November's invoice
    _set_up_autopay(issued)
    # When December's run issues the next invoice
    scenario_clock(date(2026, 12, 1))
    run_billing(issued.tenant_id, date(2026, 12, 1))
    (december,) = [i for i in invoices_of(issued.tenant_id) if i.invoice_id != issued.stored.invoice_id]
    stored = invoice_ledger().get(issued.tenant_id, december.invoice_id)
    assert stored is not None
    due = stored.invoice.due_date
    # Then it was stored paid automatically, and its first and only email says the day, not "pay by"
    assert stored.state["stripe"]["autopay"] == "active"
    emails = [m for m in emails_to(issued.env.moto_url, issued.email) if "december" in m["subject"].lower()]
    assert len(emails) == 1, [m["subject"] for m in emails]
    assert "dras automatiskt" in emails[0]["subject"] and f"{due.day} " in emails[0]["subject"]
    # And its page shows the debit date and does not offer to set up automatic payment again
    status, _, page = fetch(f"{issued.env.server.url}/i/{stored.page_token}")
    assert status == 200 and 'data-status="debit_scheduled"' in page and 'data-testid="debit-date"' in page
    assert 'data-testid="autopay-link"' not in page
    assert "autopay_active" in [e.action for e in audit_trail().events(issued.tenant_id, stored.invoice_id)]
    # And on its due date the collector charges it with its own key
    assert _collect(issued, due)["settled"] >= 1
    assert f"{stored.invoice_id}:charge:1" in _charges(issued)
    settled = invoice_ledger().get(issued.tenant_id, stored.invoice_id)
    assert settled is not None and settled.status == "paid"


def test_authentication_required_emails_the_customer_a_link_to_finish_on_the_page(issued):
    # Given a saved card whose bank wants the customer to authenticate each payment
    _set_up_autopay(issued)
    _use_method(issued, "pm_card_authenticationRequired")
    due = issued.stored.invoice.due_date

    # When the collector charges it on the due date, and runs again the next days
    summary = _collect(issued, due)
    _collect(issued, due + timedelta(days=3))

    # Then it asked the customer once, by email with the page link, and never charged again
    assert summary["ask_customer"] == 1
    assert _charges(issued) == [f"{issued.stored.invoice_id}:charge:1"]
    (mail,) = [m for m in emails_to(issued.env.moto_url, issued.email) if "Bekräfta" in m["subject"]]
    assert issued.page_url in mail["body"]
    stored = issued.refreshed()
    assert stored.status == "open" and stored.state["stripe"]["charge"]["status"] == "ask_customer"
    # And the page lets them pay themselves, saying why
    page = issued.page()
    assert 'data-testid="pay-button"' in page and "Bekräfta din betalning" in page


def test_declines_are_retried_on_the_tenants_schedule_then_fall_back_to_an_ordinary_invoice(issued):
    # Given a saved card that is declined
    _set_up_autopay(issued)
    _use_method(issued, "pm_card_chargeDeclined")
    due = issued.stored.invoice.due_date

    # When the collector runs every day for a week after the due date
    for offset in range(8):
        _collect(issued, due + timedelta(days=offset))

    # Then it charged on days 0, 3 and 7 (the tenant's schedule), each attempt with its own key
    invoice_id = issued.stored.invoice_id
    assert _charges(issued) == [f"{invoice_id}:charge:1", f"{invoice_id}:charge:2", f"{invoice_id}:charge:3"]
    # And then fell back: the invoice is an ordinary one again and the customer was told why
    record = issued.refreshed().state["stripe"]
    assert record["charge"]["status"] == "fall_back" and record["fallback"] == "retries_exhausted"
    assert any("upphört" in m["subject"] for m in emails_to(issued.env.moto_url, issued.email))
    page = issued.page()
    assert 'data-testid="pay-button"' in page and "Automatisk betalning har upphört" in page


def test_a_detached_method_stops_automatic_payment_with_a_clear_message(issued):
    # Given automatic payment set up
    record = _set_up_autopay(issued)
    # When the customer removes the card at Stripe (payment_method.detached)
    issued.fake.detach_payment_method(record["mandate"]["payment_method_ref"])
    # Then the mandate is inactive, the invoice is ordinary again and the customer is told so
    after = stripe_records().customer_record(issued.tenant_id, issued.stored.invoice.customer_id)
    assert after["mandate"]["status"] == "inactive" and after["fallback"] == "payment_method_detached"
    assert issued.refreshed().state["stripe"]["autopay"] == "stopped"
    assert any("upphört" in m["subject"] for m in emails_to(issued.env.moto_url, issued.email))
    page = issued.page()
    assert 'data-testid="pay-button"' in page and 'data-testid="debit-date"' not in page
    assert 'data-testid="payment-notice"' in page
    # And the collector leaves it alone on the due date
    assert _collect(issued, issued.stored.invoice.due_date)["charged"] == 0


def test_a_mandate_revoked_at_the_bank_stops_automatic_payment(issued):
    # Given automatic payment with a SEPA-style mandate
    _set_up_autopay(issued)
    records = stripe_records()
    customer_id = issued.stored.invoice.customer_id
    record = records.customer_record(issued.tenant_id, customer_id)
    record["mandate"] = {**record["mandate"], "mandate_ref": "mandate_revoked_0001"}
    records.change_customer_record(issued.tenant_id, customer_id, lambda _: (record, None))
    # When the bank revokes it (mandate.updated, inactive), delivered twice
    mandate = {
        "id": "mandate_revoked_0001",
        "object": "mandate",
        "payment_method": record["mandate"]["payment_method_ref"],
        "status": "inactive",
        "type": "multi_use",
    }
    evt = event("mandate.updated", mandate)
    assert post_event(issued.env, issued.tenant_id, evt)[0] == 200
    assert post_event(issued.env, issued.tenant_id, evt)[0] == 200
    # Then the mandate is inactive, the invoice ordinary again, and the customer told once
    after = records.customer_record(issued.tenant_id, customer_id)
    assert after["mandate"]["status"] == "inactive" and after["fallback"] == "mandate_inactive"
    assert len([m for m in emails_to(issued.env.moto_url, issued.email) if "upphört" in m["subject"]]) == 1
    assert _collect(issued, issued.stored.invoice.due_date)["charged"] == 0


@pytest.mark.parametrize("then", ["redeliver", "acknowledge", "operator"])
def test_a_detachment_whose_processor_died_after_its_commit_still_stops_autopay_and_tells_once(
    issued, monkeypatch, then
):
    """What follows the end of a card mandate is its outbox event's effect. The processor dies right
    after storing it: either Stripe's event comes back (its redelivery finds the mandate ended and
    drives what was left), or the outbox's own driver is left to do it, or an operator drives the
    customer's stream from the CLI first. Each way the invoice is handed back and the customer told,
    once, and the merchant hears of it after."""
    from billing.domain.merchant_events import customer_stream
    from billing.wiring.outbox import outbox_store
    from infra import local_outbox

    customer_id = issued.stored.invoice.customer_id
    # Given automatic payment set up, and its events driven
    record = _set_up_autopay(issued)
    local_outbox.drain()
    assert issued.refreshed().state["stripe"]["autopay"] == "active"
    # When the card is removed at Stripe, and the processor dies right after storing that
    left = stripe_support.processor_stops_after_its_commits(
        monkeypatch, then="redeliver" if then == "redeliver" else "acknowledge"
    )
    issued.fake.detach_payment_method(record["mandate"]["payment_method_ref"])
    issued.fake.wait_for_deliveries()
    assert left == [customer_stream(customer_id)]
    after = stripe_records().customer_record(issued.tenant_id, customer_id)
    assert after["mandate"]["status"] == "inactive" and after["fallback"] == "payment_method_detached"
    if then == "operator":
        drive = ["events", "drive", "--tenant", issued.tenant_id, "--customer", customer_id]
        assert billing_cli(drive) == 0
        assert issued.refreshed().state["stripe"]["autopay"] == "stopped"
    local_outbox.drain()
    # Then the invoice is ordinary again, the customer told once, and every effect done
    assert issued.refreshed().state["stripe"]["autopay"] == "stopped"
    told = [m for m in emails_to(issued.env.moto_url, issued.email) if "upphört" in m["subject"]]
    assert len(told) == 1
    page = issued.page()
    assert 'data-testid="pay-button"' in page and 'data-testid="debit-date"' not in page
    events = outbox_store().events(issued.tenant_id, customer_stream(customer_id))
    assert [e.event_type for e in events][-1] == "mandate.cancelled" and all(e.pending == () for e in events)
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("autopay_stopped") == 1


REMOVAL_TRIALS = 4


@pytest.mark.timeout(900)  # a billing run and a Checkout per trial, on a shared two-core machine
def test_one_aws_call_failing_at_a_random_point_of_a_card_removal_ends_as_without_faults(
    local_env, stripe_fake, scenario_clock, monkeypatch
):
    """An outsider's trial of the mandate path: while Stripe's `payment_method.detached` is delivered
    and processed, one AWS call (DynamoDB, S3, SES, SQS, EventBridge), chosen at random, fails once;
    Stripe delivers again until it gets 200 and once more later, and the outbox's stream is read.
    Every trial ends as the clean run: the mandate ended, the invoice handed back, the customer told
    once, one step on the trail, the customer's events all done."""
    import random
    import uuid

    import botocore.client
    from botocore.exceptions import EndpointConnectionError

    from billing.domain.merchant_events import customer_stream
    from billing.wiring.outbox import outbox_store
    from infra import local_outbox

    scenario_clock(stripe_support.TODAY)
    original = botocore.client.BaseClient._make_api_call
    state = {"calls": 0, "fail_at": 0, "failed": ""}

    def flaky(self, operation_name, params):  # type: ignore[no-untyped-def]
        state["calls"] += 1
        if state["calls"] == state["fail_at"]:
            state["failed"] = operation_name
            raise EndpointConnectionError(endpoint_url=f"injected:{operation_name}")
        return original(self, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    rng = random.Random(3131)
    calls, hit = 0, []
    for trial in range(REMOVAL_TRIALS + 1):
        issued = issue(
            local_env, f"t-{uuid.uuid4().hex[:10]}", stripe_fake, payments={"retry_days": [0, 3, 7]}
        )
        customer_id = issued.stored.invoice.customer_id
        record = _set_up_autopay(issued)
        local_outbox.drain()
        # The removal's event, as Stripe sends it (kept here, so that the trial delivers it)
        captured: list[dict] = []
        with monkeypatch.context() as held:
            held.setattr(stripe_fake, "_deliver", captured.append)
            stripe_fake.detach_payment_method(record["mandate"]["payment_method_ref"])
        (detached,) = captured
        # trial 0 counts the calls of a delivery without faults; the others fail one of them
        state["calls"], state["failed"] = 0, ""
        state["fail_at"] = 0 if trial == 0 else rng.randint(1, calls)
        for _ in range(5):
            try:
                if post_event(issued.env, issued.tenant_id, detached)[0] == 200:
                    break
            except OSError:
                continue  # the connection dropped: Stripe tries again
        if trial == 0:
            calls = state["calls"]
        state["fail_at"] = 0
        assert post_event(issued.env, issued.tenant_id, detached)[0] == 200  # Stripe's later retry
        local_outbox.drain()
        hit.append(state["failed"])
        label = (trial, state["failed"])
        after = stripe_records().customer_record(issued.tenant_id, customer_id)
        assert after["mandate"]["status"] == "inactive" and after["fallback"] == "payment_method_detached", (
            label
        )
        assert issued.refreshed().state["stripe"]["autopay"] == "stopped", label
        told = [m for m in emails_to(issued.env.moto_url, issued.email) if "upphört" in m["subject"]]
        assert len(told) == 1, label
        actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
        assert actions.count("autopay_stopped") == 1, label
        events = outbox_store().events(issued.tenant_id, customer_stream(customer_id))
        assert [e.event_type for e in events].count("mandate.cancelled") == 1, label
        assert all(e.pending == () for e in events), label
    print(f"\n{REMOVAL_TRIALS} card-removal trials over {calls} AWS calls; failed: {hit[1:]}")
