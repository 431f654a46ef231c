"""The outbox on the local stack: DynamoDB transactions write the events, DynamoDB Local's stream
starts the driver (infra/local_outbox.py, as Lambda's stream poller would), EventBridge (moto) and a
signed webhook carry them to the merchant. The in-memory fault trials are
tests/unit/outbox/test_outbox_faults.py."""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import standardwebhooks.webhooks

from billing.adapters.dynamo.outbox import DynamoOutbox
from billing.domain.audit_trail import accounted_amount_due
from billing.domain.outbox import invoice_stream
from billing.wiring.core import customer_directory, stripe_records
from billing.wiring.outbox import manage_endpoints, money_audit, outbox_store
from infra import local_outbox
from infra.stripe_fake import FakeStripe
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import (
    complete_checkout,
    event,
    issue,
    payment_intent,
    post_event,
    request,
)
from tests.integration.webhook_receiver import Receiver

OVERPAID = 5_000
stripe_fake = stripe_support.stripe_fake  # the fixture


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    yield r
    r.stop()


def _bus_capture(tenant_id: str) -> str:
    """An SQS queue a rule on the merchant bus feeds: what a merchant on AWS would subscribe."""
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"capture-{tenant_id}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = os.environ["EVENT_BUS_NAME"]
    events.put_rule(
        Name=f"capture-{tenant_id}", EventBusName=bus, EventPattern=json.dumps({"source": ["billing"]})
    )
    events.put_targets(Rule=f"capture-{tenant_id}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def _bus_events(url: str, tenant_id: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
        if not messages:
            return [e for e in found if e["detail"]["tenant_id"] == tenant_id]
        for m in messages:
            found.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _on_invoices(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an endpoint or the bus got about invoices: the seed's customers also report their
    subscription's start on their own streams (subscription.changed)."""
    return [e for e in received if (e.get("detail") or e)["stream"].startswith("invoice#")]


def test_an_overpayment_whose_credit_failed_once_ends_credited_once_and_the_merchant_hears_it(
    local_env: Any,
    tenant_id: str,
    stripe_fake: FakeStripe,
    receiver: Receiver,
    monkeypatch: Any,
) -> None:
    # Given a merchant with a webhook endpoint for every event, and a rule on its bus
    endpoint = manage_endpoints().add(tenant_id, receiver.url, ("*",))
    receiver.secret = endpoint.secret
    capture = _bus_capture(tenant_id)
    # and an invoice issued by a billing run (its invoice.issued event in the issuing transaction)
    issued = issue(local_env, tenant_id, stripe_fake)
    stored = issued.stored
    events = outbox_store().events(tenant_id, invoice_stream(stored.invoice_id))
    assert [(e.seq, e.event_type) for e in events] == [(1, "invoice.issued")]
    assert stored.event_seq == 1
    # When the customer pays 50 kr too much, and crediting the balance fails once
    original = DynamoOutbox.credit_balance_once
    failures: list[int] = []

    def fail_once(self: DynamoOutbox, *args: Any, **kwargs: Any) -> bool:
        if not failures:
            failures.append(1)
            from billing.services.errors import RetryableError

            raise RetryableError("throttled")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoOutbox, "credit_balance_once", fail_once)
    balance_before = customer_directory().get(tenant_id, stored.invoice.customer_id).balance  # type: ignore[union-attr]
    pay = event("payment_intent.succeeded", payment_intent(stored, stored.amount_due + OVERPAID))
    status, _ = post_event(local_env, tenant_id, pay)
    assert status == 200 and failures == [1]
    # and Stripe delivers the same event again later
    status, _ = post_event(local_env, tenant_id, pay)
    assert status == 200
    # and the outbox's stream is read, as Lambda's poller does, and the webhooks delivered
    local_outbox.drain()
    # Then the 50 kr are on the balance once, the receipt went out once
    account = customer_directory().get(tenant_id, stored.invoice.customer_id)
    assert account is not None and account.balance - balance_before == OVERPAID
    receipts = [m for m in emails_to(local_env.stack.state.moto_url, issued.email) if "Kvitto" in str(m)]
    assert len(receipts) == 1
    # the events are numbered 1, 2 with every effect done
    events = outbox_store().events(tenant_id, invoice_stream(stored.invoice_id))
    assert [(e.seq, e.event_type, e.pending) for e in events] == [
        (1, "invoice.issued", ()),
        (2, "invoice.paid", ()),
    ]
    # the money audit trail accounts for every öre of the invoice, and for the balance
    entries = money_audit().for_invoice(tenant_id, stored.invoice_id)
    assert accounted_amount_due(entries) == issued.refreshed().amount_due == 0
    assert [e.change for e in entries if e.kind == "balance"] == [OVERPAID]
    assert money_audit().for_customer(tenant_id, stored.invoice.customer_id) == sorted(
        entries, key=lambda e: (e.at, e.key)
    )
    # the merchant's endpoint verified and processed each event once, in order
    assert [e["type"] for e in _on_invoices(receiver.events)] == ["invoice.issued", "invoice.paid"]
    assert receiver.refused == 0
    assert [e["id"] for e in _on_invoices(receiver.events)] == [e.event_id for e in events]
    # and the merchant's bus carried both
    bus = _bus_events(capture, tenant_id)
    assert sorted(e["detail-type"] for e in _on_invoices(bus)) == ["invoice.issued", "invoice.paid"]
    assert {e["detail"]["id"] for e in _on_invoices(bus)} == {e.event_id for e in events}

    # When a delivery is replayed: the same bytes again, and later than five minutes
    headers, body = receiver.deliveries[-1]
    assert receiver.receive(headers, body) == 200 and receiver.replays == 1
    later = datetime.now(UTC) + timedelta(minutes=6)

    class _Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return later

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _Later)
    assert receiver.receive(headers, body) == 400
    # Then it is not processed again
    assert len(_on_invoices(receiver.events)) == 2


def test_an_event_replayed_by_the_operator_reaches_the_endpoint_again_with_its_id(
    local_env: Any,
    tenant_id: str,
    stripe_fake: FakeStripe,
    receiver: Receiver,
) -> None:
    from billing.cli.events import replay

    endpoint = manage_endpoints().add(tenant_id, receiver.url, ("invoice.*",))
    receiver.secret = endpoint.secret
    issued = issue(local_env, tenant_id, stripe_fake)
    local_outbox.drain()
    assert [e["type"] for e in receiver.events] == ["invoice.issued"]
    replay(tenant_id, issued.stored.invoice_id, 1)
    local_outbox.drain()
    # The endpoint got it twice, processed it once (same id)
    assert receiver.replays == 1 and len(receiver.events) == 1


def test_a_refund_whose_credit_note_email_failed_once_is_told_once_and_heard_in_order(
    local_env: Any, tenant_id: str, stripe_fake: FakeStripe, receiver: Receiver, monkeypatch: Any
) -> None:
    from billing.adapters.payment_emails import EmailPaymentNotices
    from billing.services.errors import RetryableError

    # (an endpoint that wants only these two of the invoice's events)
    endpoint = manage_endpoints().add(tenant_id, receiver.url, ("invoice.paid", "payment.refunded"))
    receiver.secret = endpoint.secret
    issued = issue(local_env, tenant_id, stripe_fake)
    # paid through Checkout (the stand-in's charge is what a refund refunds)
    location = request(issued.link("pay-button"))[1]["Location"]
    complete_checkout(location)
    pid = str(stripe_fake.sessions[location.rsplit("/", 1)[1]]["payment_intent"])
    # Given the credit note's email fails once
    original = EmailPaymentNotices.send_credit_note
    failures: list[int] = []

    def fail_once(self: Any, *args: Any, **kwargs: Any) -> None:
        if not failures:
            failures.append(1)
            raise RetryableError("SES throttled")
        original(self, *args, **kwargs)

    monkeypatch.setattr(EmailPaymentNotices, "send_credit_note", fail_once)
    # When part of the payment is refunded (the processor's retry redelivers the event)
    stripe_fake.refund(pid, 1000)
    local_outbox.drain()
    # Then one credit note, told once, and the merchant heard the payment and the refund, in order
    record = issued.refreshed().state["stripe"]
    assert [(n["amount"], n["emailed"]) for n in record["credit_notes"]] == [(1000, True)]
    told = [m for m in emails_to(local_env.stack.state.moto_url, issued.email) if "Kreditnota" in str(m)]
    assert failures == [1] and len(told) == 1
    assert [e["type"] for e in receiver.events] == ["invoice.paid", "payment.refunded"]
    sequences = [e["sequence"] for e in receiver.events]
    assert sequences == sorted(sequences)
    all_types = [
        e.event_type for e in outbox_store().events(tenant_id, invoice_stream(issued.stored.invoice_id))
    ]
    assert all_types[0] == "invoice.issued" and "payment.updated" in all_types  # filtered out above
    entries = money_audit().for_invoice(tenant_id, issued.stored.invoice_id)
    assert accounted_amount_due(entries) == issued.refreshed().amount_due


LOCAL_TRIALS = 5


@pytest.mark.timeout(1200)  # a billing run per trial, on a shared two-core machine
def test_one_aws_call_failing_at_a_random_point_of_a_payment_ends_as_without_faults(
    local_env: Any, stripe_fake: FakeStripe, monkeypatch: Any
) -> None:
    """The smaller local-stack run of the fault trials: during the webhook's delivery and processing
    of an overpayment, one AWS call (DynamoDB, S3, SES, SQS, EventBridge), chosen at random, fails
    once; Stripe delivers again until it gets 200 and once more later, and the outbox's stream is
    read. Every trial ends with the invoice paid, 50 kr credited once, one receipt, the audit trail
    adding up and both events heard once by the merchant."""
    import uuid

    import botocore.client
    from botocore.exceptions import EndpointConnectionError

    original = botocore.client.BaseClient._make_api_call
    state = {"calls": 0, "fail_at": 0, "failed": ""}

    def flaky(self: Any, operation_name: str, params: dict[str, Any]) -> Any:
        state["calls"] += 1
        if state["calls"] == state["fail_at"]:
            state["failed"] = operation_name
            raise EndpointConnectionError(endpoint_url=f"injected:{operation_name}")
        return original(self, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    rng = random.Random(1616)
    hit: list[str] = []
    calls = 0
    for trial in range(LOCAL_TRIALS + 1):
        tenant_id = f"t-{uuid.uuid4().hex[:10]}"
        receiver = Receiver()
        try:
            endpoint = manage_endpoints().add(tenant_id, receiver.url, ("*",))
            receiver.secret = endpoint.secret
            issued = issue(local_env, tenant_id, stripe_fake)
            stored = issued.stored
            before = customer_directory().get(tenant_id, stored.invoice.customer_id).balance  # type: ignore[union-attr]
            pay = event("payment_intent.succeeded", payment_intent(stored, stored.amount_due + OVERPAID))
            # trial 0 counts the calls of a run without faults; the others fail one of them
            state["calls"], state["failed"] = 0, ""
            state["fail_at"] = 0 if trial == 0 else rng.randint(1, calls)
            for _ in range(5):
                try:
                    if post_event(local_env, tenant_id, pay)[0] == 200:
                        break
                except OSError:
                    continue  # the connection dropped: Stripe tries again
            if trial == 0:
                calls = state["calls"]
            state["fail_at"] = 0
            post_event(local_env, tenant_id, pay)  # Stripe's later retry (or a duplicate delivery)
            local_outbox.drain()
            hit.append(state["failed"])
            # Then the state, the emails, the audit entries and the merchant's events are the clean run's
            label = (trial, state["failed"])
            refreshed = issued.refreshed()
            assert refreshed.status == "paid" and refreshed.amount_due == 0, label
            after = customer_directory().get(tenant_id, stored.invoice.customer_id).balance  # type: ignore[union-attr]
            assert after - before == OVERPAID, label
            receipts = [
                m for m in emails_to(local_env.stack.state.moto_url, issued.email) if "Kvitto" in str(m)
            ]
            assert len(receipts) == 1, label
            entries = money_audit().for_invoice(tenant_id, stored.invoice_id)
            kinds = [(e.seq, e.kind) for e in entries]
            assert kinds == [(1, "invoice"), (2, "balance"), (2, "invoice")], label
            assert accounted_amount_due(entries) == 0, label
            assert [e["type"] for e in _on_invoices(receiver.events)] == ["invoice.issued", "invoice.paid"], (
                label
            )
            assert receiver.refused == 0, label
        finally:
            receiver.stop()
    print(f"\n{LOCAL_TRIALS} local-stack trials over {calls} AWS calls; failed: {hit[1:]}")


def test_questions_mandates_a_subscription_change_and_rejected_usage_reach_the_merchant_once(
    local_env: Any,
    tenant_id: str,
    stripe_fake: FakeStripe,
    receiver: Receiver,
    scenario_clock: Any,
    monkeypatch: Any,
) -> None:
    """The six events besides an invoice's money, each written with its change (docs/events.md), each
    request or provider event delivered twice: the merchant's endpoint verifies and hears each once."""
    import urllib.parse

    from billing.domain.merchant_events import customer_stream
    from billing.services.billing_run import SystemClock
    from tests.integration.merchant.support import call, create_key

    # Given a merchant with an endpoint for every event, an issued invoice not due yet, and API keys
    # (the merchant's clock reads the scenario's day too: its receiver checks the signed timestamp)
    scenario_clock(stripe_support.TODAY)

    class _ScenarioTime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return SystemClock().now()

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _ScenarioTime)
    endpoint = manage_endpoints().add(tenant_id, receiver.url, ("*",))
    receiver.secret = endpoint.secret
    issued = issue(local_env, tenant_id, stripe_fake)
    stored, url = issued.stored, local_env.server.url
    customer_id = stored.invoice.customer_id
    key, usage_key = create_key(tenant_id, "full"), create_key(tenant_id, "usage")
    seeded = outbox_store().events(tenant_id, customer_stream(customer_id))  # the seed's own start
    # When the customer asks a question on the page (the form posted twice: a double click)
    form = urllib.parse.urlencode({"text": "Varför två SMS-rader?", "line_id": ""}).encode()
    for _ in range(2):
        status = request(
            f"{url}/v1/pages/{stored.page_token}/questions",
            method="POST",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )[0]
        assert status == 303
    # and the merchant answers it through the API (retried with the same key, then sent again as a new
    # request with the same words)
    (question,) = call(url, "GET", f"/v1/invoices/{stored.invoice_id}/questions", key).body["data"]
    path = f"/v1/invoices/{stored.invoice_id}/questions/{question['question_id']}/answer"
    for idempotency_key in ("a", "a", "b"):
        answered = call(url, "POST", path, key, {"text": "Två abonnemang."}, idempotency_key=idempotency_key)
        assert answered.status == 200, answered.body
    # and the customer sets up card autopay, then removes the card at Stripe (each event delivered
    # again by Stripe's retry)
    mark = len(stripe_fake.events)
    location = request(issued.link("autopay-link"))[1]["Location"]
    assert complete_checkout(location, "card")[0] == 303
    record = stripe_records().customer_record(tenant_id, customer_id)
    stripe_fake.detach_payment_method(record["mandate"]["payment_method_ref"])
    stripe_fake.wait_for_deliveries()
    for delivered in list(stripe_fake.events[mark:]):
        assert post_event(local_env, tenant_id, delivered)[0] == 200
    # and the merchant cancels the subscription at period end (the request retried)
    for _ in range(2):
        cancel = call(
            url, "POST", f"/v1/customers/{customer_id}/subscription/cancel", key, {"at": "period_end"},
            idempotency_key="cancel",
        )  # fmt: skip
        assert cancel.status == 200, cancel.body
    # and a usage batch with an event for no such customer is sent twice
    batch = {"events": [{"id": "u-1", "customer_id": "nobody", "metric": "data_gb",
                         "timestamp": "2026-11-23T09:00:00Z", "value": 1}]}  # fmt: skip
    for _ in range(2):
        sent = call(url, "POST", "/v1/usage", usage_key, batch)
        assert sent.status == 200 and sent.body["rejected"] == 1, sent.body
    local_outbox.drain()

    # Then the invoice's stream has the question and its answer after the invoice, once each
    invoice_events = outbox_store().events(tenant_id, invoice_stream(stored.invoice_id))
    assert [e.event_type for e in invoice_events if e.event_type.startswith("question.")] == [
        "question.asked",
        "question.answered",
    ]
    # the customer's stream has the mandate's approval and end and the cancellation, numbered on
    customer_events = outbox_store().events(tenant_id, customer_stream(customer_id))
    n = len(seeded)
    assert [(e.seq, e.event_type) for e in customer_events[n:]] == [
        (n + 1, "mandate.approved"),
        (n + 2, "mandate.cancelled"),
        (n + 3, "subscription.changed"),
    ]
    assert all(e.pending == () for e in [*invoice_events, *customer_events])
    # and the merchant's endpoint verified every delivery and heard each of the six once
    heard = [e["type"] for e in receiver.events]
    six = ["question.asked", "question.answered", "mandate.approved", "mandate.cancelled",
           "subscription.changed", "usage.rejected"]  # fmt: skip
    assert sorted(t for t in heard if t in six) == sorted(six + ["subscription.changed"] * n), heard
    assert receiver.refused == 0
    rejected = next(e for e in receiver.events if e["type"] == "usage.rejected")
    assert rejected["stream"] == f"usage#{rejected['data']['batch_id']}"
    assert [(r["id"], r["reason"]) for r in rejected["data"]["rejected"]] == [("u-1", "unknown_customer")]
    cancelled = [e for e in receiver.events if e["type"] == "subscription.changed"][-1]
    assert (cancelled["data"]["change"], cancelled["data"]["customer_id"]) == ("cancelled", customer_id)
