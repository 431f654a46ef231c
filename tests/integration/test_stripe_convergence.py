"""Every Stripe money path converges, through the webhook, its queue and its processor on the local
stack: events before what they name, events in another currency, bodies that are not what the schema
says, and the same event delivered twice at the same moment by two processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from billing.adapters.stripe_webhook import sign_payload
from billing.wiring.core import audit_trail, stripe_events
from infra.stripe_fake import DEFAULT_WEBHOOK_SECRET
from infra.template import ROOT
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import (
    Issued,
    event,
    payment_intent,
    post_event,
    request,
    webhook_url,
)

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixtures
issued = stripe_support.issued


def _mail(issued: Issued, word: str) -> list[dict]:
    return [m for m in emails_to(issued.env.moto_url, issued.email) if word in m["subject"]]


def _ids() -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:20]
    return f"pi_{tag}", f"ch_{tag}", f"dp_{tag}"


def _paid(issued: Issued, pid: str, charge: str) -> dict[str, Any]:
    obj = payment_intent(issued.stored, issued.stored.amount_due, pid=pid)
    return {**obj, "latest_charge": charge}


def _dispute(issued: Issued, dispute: str, charge: str, pid: str, status: str) -> dict[str, Any]:
    # A dispute carries none of our metadata: only the charge and the PaymentIntent name the payment.
    return {
        "id": dispute,
        "object": "dispute",
        "amount": issued.stored.amount_due,
        "currency": issued.stored.invoice.currency.lower(),
        "charge": charge,
        "payment_intent": pid,
        "reason": "fraudulent",
        "status": status,
        "metadata": {},
    }


def _refunded(
    issued: Issued, charge: str, pid: str, refunded: int, currency: str | None = None
) -> dict[str, Any]:
    return {
        "id": charge,
        "object": "charge",
        "amount": issued.stored.amount_due,
        "amount_refunded": refunded,
        "currency": currency or issued.stored.invoice.currency.lower(),
        "payment_intent": pid,
        "refunded": True,
        "status": "succeeded",
        "metadata": {},
    }


def test_a_lost_dispute_delivered_before_its_payment_still_makes_the_invoice_owed(issued):
    # Given a dispute opened and lost for pi_X, delivered before the payment pi_X itself
    pid, charge, dispute = _ids()
    now = int(time.time())
    created = event(
        "charge.dispute.created", _dispute(issued, dispute, charge, pid, "needs_response"), created=now - 2
    )
    closed = event("charge.dispute.closed", _dispute(issued, dispute, charge, pid, "lost"), created=now - 1)
    assert post_event(issued.env, issued.tenant_id, created)[0] == 200
    assert post_event(issued.env, issued.tenant_id, closed)[0] == 200
    # Then nothing is applied yet: both wait for pi_X, under the ids they name
    assert issued.refreshed().state.get("payments") is None
    assert {h["event_id"] for h in stripe_events().held_events(issued.tenant_id)} == {
        created["id"],
        closed["id"],
    }
    # When the payment arrives
    paid = event("payment_intent.succeeded", _paid(issued, pid, charge), created=now - 30)
    assert post_event(issued.env, issued.tenant_id, paid)[0] == 200
    # Then the invoice is owed its whole amount again (the bank kept the money), the dispute is closed,
    # and nothing is left waiting
    stored = issued.refreshed()
    assert stored.status == "open" and stored.amount_due == issued.stored.amount_due
    assert stored.state["payments"]["disputes"] == {dispute: "closed"}
    assert stored.state["payments"]["reversed_refs"] == [pid]
    assert stripe_events().held_events(issued.tenant_id) == []
    # And a redelivery of the dispute (Stripe retries) changes nothing more
    assert post_event(issued.env, issued.tenant_id, closed, timestamp=int(time.time()) + 1)[0] == 200
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("payment_reversed") == 1


def test_a_refund_delivered_before_its_payment_is_credited_once_after_it(issued):
    pid, charge, _ = _ids()
    now = int(time.time())
    # Given a partial refund of pi_X delivered before pi_X's success
    refund = event("charge.refunded", _refunded(issued, charge, pid, 1000), created=now)
    assert post_event(issued.env, issued.tenant_id, refund)[0] == 200
    # Then no credit note yet: a refund of money not received is no credit
    assert "credit_notes" not in (issued.refreshed().state.get("stripe") or {})
    # When the payment arrives
    assert (
        post_event(
            issued.env, issued.tenant_id, event("payment_intent.succeeded", _paid(issued, pid, charge))
        )[0]
        == 200
    )
    # Then the invoice is paid and one credit note covers the refund, emailed once
    stored = issued.refreshed()
    assert stored.status == "paid"
    assert [n["amount"] for n in stored.state["stripe"]["credit_notes"]] == [1000]
    assert len(_mail(issued, "Kreditnota")) == 1 and len(_mail(issued, "Kvitto")) == 1


def test_a_refund_in_another_currency_on_an_unpaid_invoice_is_set_aside_never_credited(issued):
    # Given an unpaid SEK invoice whose payment pi_X is known (a checkout was completed, processing)
    pid, charge, _ = _ids()
    processing = payment_intent(issued.stored, issued.stored.amount_due, status="processing", pid=pid)
    post_event(issued.env, issued.tenant_id, event("payment_intent.processing", processing))
    # When a EUR refund of pi_X arrives
    status, _ = post_event(
        issued.env, issued.tenant_id, event("charge.refunded", _refunded(issued, charge, pid, 20700, "eur"))
    )
    # Then Stripe gets 200, no credit note is written or emailed, and an operator finds the event
    assert status == 200
    assert "credit_notes" not in (issued.refreshed().state.get("stripe") or {})
    assert _mail(issued, "Kreditnota") == []
    (aside,) = stripe_events().set_aside_events(issued.tenant_id)
    assert aside["field"] == "currency" and aside["event_type"] == "charge.refunded"


def test_a_payment_in_another_currency_is_set_aside_with_200_not_retried_for_days(issued):
    obj = {**payment_intent(issued.stored, issued.stored.amount_due), "currency": "eur"}
    evt = event("payment_intent.succeeded", obj)
    # When it is delivered, and delivered again
    assert post_event(issued.env, issued.tenant_id, evt)[0] == 200
    assert post_event(issued.env, issued.tenant_id, evt, timestamp=int(time.time()) + 1)[0] == 200
    # Then nothing is paid and the event waits for an operator, once
    assert issued.refreshed().amount_paid == 0
    assert [a["field"] for a in stripe_events().set_aside_events(issued.tenant_id)] == ["currency"]


def _post_raw(issued: Issued, body: bytes, header: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return request(webhook_url(issued.env, issued.tenant_id), method="POST", data=body, headers=headers)[0]


def test_a_body_that_is_not_utf8_is_refused_before_anything_decodes_it(issued):
    body = b'{"id": "evt_1", "object": "event", "x": "\xff\xfe"}'
    assert _post_raw(issued, body, f"t={int(time.time())},v1={'0' * 64}") == 400
    assert _post_raw(issued, body, None) == 400


@pytest.mark.parametrize(
    "header", ["t=²,v1=" + "0" * 64, "t=¹²³,v1=00", "t=1e9,v1=00", "t=,v1=", "v1=ab", "=,="]
)
def test_a_malformed_signature_header_is_refused(issued, header):
    assert _post_raw(issued, b'{"object": "event"}', header) == 400


def _signed(payload: str) -> str:
    return sign_payload(payload, DEFAULT_WEBHOOK_SECRET, int(time.time()))


def test_a_signed_body_nested_too_deep_is_refused(issued):
    payload = (
        '{"id": "evt_deep", "object": "event", "type": "x", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    assert _post_raw(issued, payload.encode(), _signed(payload)) == 400


def test_a_signed_body_with_huge_numbers_is_refused_or_set_aside(issued):
    # A number too long for an int64 is refused before it is parsed into anything
    huge = json.dumps({**event("payment_intent.succeeded", {"id": "pi_1"}), "created": 10**30})
    assert _post_raw(issued, huge.encode(), _signed(huge)) == 400
    # A number that fits but means nothing (the year 33658) is set aside by the processor, answered 200
    evt = {**event("payment_intent.succeeded", payment_intent(issued.stored, 100)), "created": 10**12}
    assert post_event(issued.env, issued.tenant_id, evt)[0] == 200
    assert [a["field"] for a in stripe_events().set_aside_events(issued.tenant_id)] == ["created"]
    assert issued.refreshed().amount_paid == 0


def test_the_same_event_from_two_processes_at_the_same_moment_is_one_effect_and_two_200s(
    issued, tmp_path: Path
):
    # Given one payment event, signed as Stripe would, and two processes (two Lambda instances)
    evt = event("payment_intent.succeeded", payment_intent(issued.stored, issued.stored.amount_due))
    payload = json.dumps(evt)
    body = tmp_path / "body.json"
    body.write_text(payload)
    start_at = time.time() + 8  # after both have imported everything
    # When both deliver it at the same moment
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.stripe_instance",
                issued.tenant_id,
                str(body),
                _signed(payload),
                str(start_at),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = [p.communicate(timeout=120) for p in procs]
    # Then both answer 200, and the invoice is paid once with one receipt
    assert [out.strip().splitlines()[-1] for out, _ in answers] == ["200", "200"], [
        err[-2000:] for _, err in answers
    ]
    stored = issued.refreshed()
    assert stored.status == "paid" and stored.amount_paid == issued.stored.amount_due
    assert len(_mail(issued, "Kvitto")) == 1
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("payment_received") == 1
