"""Mapping Stripe events (plain dicts of a verified webhook body) to typed domain events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from payments_builders import T0, checkout_session, load_fixture_objects, payment_intent, stripe_event

from billing.adapters.stripe_event_reader import HANDLED_EVENT_TYPES, to_domain_event
from billing.domain.payments import (
    DisputeClosed,
    DisputeOpened,
    IgnoredEvent,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentDataError,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    RefundIssued,
)


def test_the_handled_types_are_exactly_those_of_the_issue() -> None:
    # Given the list in the issue, Then the mapping handles exactly those
    assert set(HANDLED_EVENT_TYPES) == {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "setup_intent.succeeded",
        "mandate.updated",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
        "payment_method.detached",
    }


def test_a_paid_checkout_session_is_a_success_for_its_invoice() -> None:
    # Given a completed, paid session
    event = stripe_event("checkout.session.completed", checkout_session(), event_id="evt_cs")
    # When mapped
    mapped = to_domain_event(event)
    # Then it is a success of the session's PaymentIntent, at the event's time, for our invoice
    assert mapped == PaymentSucceeded(
        event_id="evt_cs",
        event_type="checkout.session.completed",
        occurred_at=T0,
        invoice_id="inv_1",
        payment_ref="pi_1",
        amount=12500,
        currency="sek",
    )


def test_a_completed_but_unpaid_session_is_processing_and_its_async_outcomes_follow() -> None:
    # Given a session paid by a delayed method (completed, unpaid)
    unpaid = checkout_session(payment_status="unpaid")
    # When its completion, async success and async failure are mapped
    completed = to_domain_event(stripe_event("checkout.session.completed", unpaid))
    async_ok = to_domain_event(stripe_event("checkout.session.async_payment_succeeded", unpaid))
    async_ko = to_domain_event(stripe_event("checkout.session.async_payment_failed", unpaid))
    # Then they are processing, succeeded, failed
    assert isinstance(completed, PaymentProcessing)
    assert isinstance(async_ok, PaymentSucceeded) and async_ok.amount == 12500
    assert isinstance(async_ko, PaymentFailed)


def test_a_setup_mode_session_is_ignored_explicitly_because_the_setup_intent_carries_the_mandate() -> None:
    # Given a completed setup-mode session
    session = checkout_session(mode="setup", payment_status="no_payment_required", amount_total=None)
    # When mapped, Then it is ignored with a reason
    mapped = to_domain_event(stripe_event("checkout.session.completed", session))
    assert isinstance(mapped, IgnoredEvent) and "setup" in mapped.reason


def test_payment_intent_events_map_by_type_and_keep_only_codes_of_a_failure() -> None:
    # Given the three PaymentIntent events
    ok = to_domain_event(stripe_event("payment_intent.succeeded", payment_intent(amount_received=12000)))
    busy = to_domain_event(stripe_event("payment_intent.processing", payment_intent(status="processing")))
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
        "payment_method": {"card": {"last4": "4242"}},
    }
    ko = to_domain_event(
        stripe_event(
            "payment_intent.payment_failed",
            payment_intent(status="requires_payment_method", last_payment_error=error),
        )
    )
    # Then: the received amount counts; the failure keeps codes, not the message or card details
    assert isinstance(ok, PaymentSucceeded) and ok.amount == 12000 and ok.payment_method_ref == "pm_1"
    assert isinstance(busy, PaymentProcessing) and busy.amount == 12500
    assert isinstance(ko, PaymentFailed)
    assert (ko.failure_code, ko.decline_code) == ("card_declined", "insufficient_funds")
    assert "4242" not in repr(ko) and "insufficient funds." not in repr(ko)


def test_a_processing_event_whose_snapshot_already_succeeded_is_a_success() -> None:
    # Given a "processing" event whose object's own state is already succeeded
    event = stripe_event("payment_intent.processing", payment_intent(status="succeeded"))
    # When mapped, Then the object's state decides
    assert isinstance(to_domain_event(event), PaymentSucceeded)


def test_setup_intent_succeeded_activates_a_mandate_with_our_metadata() -> None:
    # Given a succeeded SEPA setup with our metadata
    intent = {
        "id": "seti_1",
        "object": "setup_intent",
        "customer": "cus_1",
        "payment_method": "pm_1",
        "mandate": "mandate_1",
        "status": "succeeded",
        "metadata": {"invoice_id": "inv_1", "customer_id": "c-42"},
    }
    # When mapped
    mapped = to_domain_event(stripe_event("setup_intent.succeeded", intent))
    # Then it names both customers, the method and the mandate
    assert isinstance(mapped, MandateActivated)
    assert (mapped.customer_id, mapped.customer_ref, mapped.payment_method_ref, mapped.mandate_ref) == (
        "c-42",
        "cus_1",
        "pm_1",
        "mandate_1",
    )


def test_a_setup_intent_without_a_payment_method_is_refused() -> None:
    # Given a malformed setup intent, When mapped, Then the field is named
    intent = {"id": "seti_1", "customer": "cus_1", "payment_method": None, "metadata": {}}
    with pytest.raises(PaymentDataError):
        to_domain_event(stripe_event("setup_intent.succeeded", intent))


def test_payment_method_detached_takes_the_customer_from_previous_attributes() -> None:
    # Given a detached method: its customer is null now, the previous one is in previous_attributes
    method = {"id": "pm_1", "object": "payment_method", "customer": None, "type": "sepa_debit"}
    event = stripe_event("payment_method.detached", method, previous_attributes={"customer": "cus_1"})
    # When mapped, Then the detach names the customer it belonged to
    assert to_domain_event(event) == MandateDetached(
        event_id="evt_1",
        event_type="payment_method.detached",
        occurred_at=T0,
        payment_method_ref="pm_1",
        customer_ref="cus_1",
    )


def test_unknown_types_are_ignored_explicitly() -> None:
    # Given an event type we do not handle, even with an odd object
    event = stripe_event("plan.created", {"id": "price_1", "object": "plan"})
    # When mapped, Then it is an IgnoredEvent keeping the id (acknowledge, do nothing)
    mapped = to_domain_event(event)
    assert isinstance(mapped, IgnoredEvent)
    assert (mapped.event_id, mapped.event_type) == ("evt_1", "plan.created")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.pop("id"), "id"),
        (lambda e: e.update(created="yesterday"), "created"),
        (lambda e: e.update(data={}), "data.object"),
        (lambda e: e["data"]["object"].update(amount_total=None), "amount_total"),
        (lambda e: e["data"]["object"].update(amount_total=-5), "amount_total"),
        (lambda e: e["data"]["object"].update(currency=None), "currency"),
    ],
)
def test_a_handled_event_missing_what_we_need_is_refused_by_name(mutate, field) -> None:
    # Given a paid-session event with one field broken
    event = stripe_event("checkout.session.completed", checkout_session())
    mutate(event)
    # When mapped, Then it is refused naming the field (never silently acknowledged)
    with pytest.raises(PaymentDataError) as err:
        to_domain_event(event)
    assert err.value.field == field


def test_the_event_time_is_aware_utc() -> None:
    # Given an event created at a unix time, When mapped, Then occurred_at is that instant in UTC
    mapped = to_domain_event(stripe_event("plan.created", {}, created=0))
    assert mapped.occurred_at == datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Against Stripe's own sample objects (skipped when ../shared is absent)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    objects = load_fixture_objects()
    if objects is None:
        pytest.skip("Stripe's sample objects (../shared/stripe/fixtures3.json) are not beside the repository")
    return objects


def test_stripe_samples_map_to_the_expected_domain_events(samples: dict[str, Any]) -> None:
    # Given Stripe's sample objects, completed with what a real event of each type has
    charge = copy.deepcopy(samples["charge"]) | {"amount_refunded": 100, "refunded": True}
    dispute = copy.deepcopy(samples["dispute"])
    closed = dispute | {"status": "won"}
    intent = copy.deepcopy(samples["payment_intent"])
    succeeded = intent | {"status": "succeeded", "amount_received": intent["amount"]}
    failed = intent | {"last_payment_error": {"type": "card_error", "code": "card_declined"}}
    session = copy.deepcopy(samples["checkout.session"]) | {
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 1099,
        "currency": "sek",
    }
    # When each is mapped
    refund = to_domain_event(stripe_event("charge.refunded", charge))
    opened = to_domain_event(stripe_event("charge.dispute.created", dispute))
    won = to_domain_event(stripe_event("charge.dispute.closed", closed))
    mandate = to_domain_event(stripe_event("mandate.updated", samples["mandate"]))
    detached = to_domain_event(stripe_event("payment_method.detached", samples["payment_method"]))
    ok = to_domain_event(stripe_event("payment_intent.succeeded", succeeded))
    ko = to_domain_event(stripe_event("payment_intent.payment_failed", failed))
    paid = to_domain_event(stripe_event("checkout.session.completed", session))
    # Then each is the typed event with the sample's values
    assert isinstance(refund, RefundIssued) and refund.amount_refunded_total == 100
    assert refund.charge_ref == samples["charge"]["id"]
    assert isinstance(opened, DisputeOpened) and opened.dispute_ref == samples["dispute"]["id"]
    assert isinstance(won, DisputeClosed) and won.status == "won"
    assert isinstance(mandate, MandateUpdated) and mandate.status is MandateStatus.ACTIVE
    assert mandate.payment_method_ref == samples["mandate"]["payment_method"]
    assert (
        isinstance(detached, MandateDetached)
        and detached.payment_method_ref == samples["payment_method"]["id"]
    )
    assert isinstance(ok, PaymentSucceeded) and ok.amount == samples["payment_intent"]["amount"]
    assert isinstance(ko, PaymentFailed) and ko.failure_code == "card_declined"
    assert (
        isinstance(paid, PaymentSucceeded)
        and paid.payment_ref == samples["checkout.session"]["payment_intent"]
    )
