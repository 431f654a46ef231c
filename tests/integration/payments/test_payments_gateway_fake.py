"""The gateway against the Stripe stand-in over real HTTP: requests checked by the SDK's typed params."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe
from payments_stand_in import API_KEY, WEBHOOK_SECRET, Receiver, load_fixture_objects

from billing.adapters.stripe_event_reader import to_domain_event
from billing.adapters.stripe_gateway import StripePaymentGateway
from billing.adapters.stripe_webhook import StripeWebhookVerifier, WebhookSignatureInvalid
from billing.domain.payments import (
    ChargeStatus,
    InvoicePayments,
    InvoicePaymentStatus,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentProcessing,
    PaymentSucceeded,
    apply_event,
)
from billing.services.errors import (
    PaymentIdempotencyConflict,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    PermanentError,
)
from billing.services.payments.ports import ChargeRequest, SessionRequest
from infra.stripe_fake import FakeStripe

pytestmark = pytest.mark.integration

SUCCESS = "http://127.0.0.1:9/invoices/inv_1?session={CHECKOUT_SESSION_ID}"
CANCEL = "http://127.0.0.1:9/invoices/inv_1"


def checkout(
    gateway: StripePaymentGateway,
    *,
    invoice_id: str = "inv_1",
    attempt: int = 1,
    amount: int = 12500,
    methods: list[str] | None = None,
):
    request = SessionRequest(
        invoice_id=invoice_id,
        attempt=attempt,
        currency="SEK",
        customer_email="kund@example.se",
        success_url=SUCCESS,
        cancel_url=CANCEL,
        payment_methods=methods or ["card", "klarna", "swish"],
        metadata={"tenant_id": "t1"},
    )
    return gateway.create_checkout_session(request, amount=amount, description="Faktura 2026-11")


def _request(invoice_id: str, currency: str, email: str | None, methods: list[str]) -> SessionRequest:
    """Attempt 1 of a session for `invoice_id`, returning to the test's pages."""
    return SessionRequest(
        invoice_id=invoice_id,
        attempt=1,
        currency=currency,
        customer_email=email,
        success_url=SUCCESS,
        cancel_url=CANCEL,
        payment_methods=methods,
    )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def pay_on_page(url: str, method: str = "card") -> str:
    """Press Pay on the hosted page; returns where it redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=f"payment_method_type={method}".encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request)
    assert redirect.value.code == 303
    return str(redirect.value.headers["Location"])


# --------------------------------------------------------------------------------------------------
# Paying an invoice
# --------------------------------------------------------------------------------------------------


def charge(
    invoice_id: str,
    attempt: int,
    amount: int,
    method: str,
    *,
    currency: str = "sek",
    customer: str = "cus_test",
    **more: Any,
) -> ChargeRequest:
    """An off-session charge as the collector asks for it: the test customer's saved method, in SEK."""
    return ChargeRequest(
        invoice_id=invoice_id,
        attempt=attempt,
        amount=amount,
        currency=currency,
        stripe_customer=customer,
        payment_method=method,
        **more,
    )


def test_a_correct_checkout_request_passes_and_carries_what_we_need(gateway, fake: FakeStripe) -> None:
    # Given an invoice of 125.00 SEK
    # When a Checkout Session is created
    session = checkout(gateway)
    # Then the stand-in accepted it, with our idempotency key, and returns a hosted page URL
    request = fake.requests[-1]
    assert (request.method, request.path, request.status) == ("POST", "/v1/checkout/sessions", 200)
    assert request.idempotency_key == "inv_1:checkout:1"
    assert session.url == f"{fake.url}/checkout/{session.session_id}" and session.status == "open"
    # And it asks for the amount, the tenant's methods, our metadata on the session and its PaymentIntent
    params = request.params
    assert params["line_items"]["0"]["price_data"] == {
        "currency": "sek",
        "unit_amount": "12500",
        "product_data": {"name": "Faktura 2026-11"},
    }
    assert params["allowed_payment_method_types"] == {"0": "card", "1": "klarna", "2": "swish"}
    assert params["metadata"] == {"tenant_id": "t1", "invoice_id": "inv_1", "attempt": "1"}
    assert params["payment_intent_data"]["metadata"] == params["metadata"]
    assert "payment_method_types" not in params


def test_the_same_invoice_and_attempt_replay_the_same_session(gateway, fake: FakeStripe) -> None:
    # Given a session created for invoice inv_1, attempt 1
    first = checkout(gateway)
    # When the same request is made again (double click, retried Lambda)
    again = checkout(gateway)
    # Then the same session comes back, and only one exists
    assert again == first
    assert len(fake.sessions) == 1
    # And a new attempt is a new session
    assert checkout(gateway, attempt=2).session_id != first.session_id


def test_the_same_key_with_different_parameters_is_an_idempotency_conflict(gateway) -> None:
    # Given a session for attempt 1 of 125.00
    checkout(gateway)
    # When attempt 1 is requested again for another amount, Then it is refused as a conflict
    with pytest.raises(PaymentIdempotencyConflict):
        checkout(gateway, amount=13000)


def test_a_misconfigured_method_is_refused_and_mapped_to_a_permanent_error(gateway, fake: FakeStripe) -> None:
    # Given a tenant setting with a method name the pinned API does not know
    # When a session is requested, Then the stand-in answers 400 and the gateway raises a permanent error
    with pytest.raises(PaymentRequestRejected) as err:
        checkout(gateway, methods=["card", "swishh"])
    assert err.value.field == "allowed_payment_method_types[1]"
    assert isinstance(err.value, PermanentError)
    assert fake.requests[-1].status == 400


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"payment_method_types": ["card"]}, "payment_method_types"),
        ({"mode": "pay"}, "mode"),
        ({"unknown_param": "x"}, "unknown_param"),
    ],
    ids=["refused-by-the-pinned-version", "wrong-literal", "unknown"],
)
def test_wrongly_built_requests_fail_with_400_through_the_sdk(fake: FakeStripe, extra, param) -> None:
    # Given the SDK pointed at the stand-in, and a session with one mistake
    client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=0)
    params = {
        "mode": "payment",
        "success_url": SUCCESS,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": "sek", "unit_amount": 100, "product_data": {"name": "x"}},
            }
        ],
    }
    # When sent, Then the SDK raises InvalidRequestError naming the parameter, as Stripe would answer
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create(params | extra)  # type: ignore[arg-type]
    assert err.value.http_status == 400 and err.value.param == param


def test_a_live_key_or_another_api_version_is_refused(fake: FakeStripe) -> None:
    # Given a live key, When used against the stand-in, Then it is refused
    live = StripePaymentGateway("sk_live_" + "x" * 24, api_base=fake.url, max_network_retries=0)
    with pytest.raises(PaymentRequestRejected):
        checkout(live)
    # Given another API version, When used, Then it is refused
    other = stripe.StripeClient(
        API_KEY, base_addresses={"api": fake.url}, stripe_version="2024-06-20", max_network_retries=0
    )
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.customers.create({})


def test_an_unreachable_stripe_is_retryable() -> None:
    # Given nothing listening, When a session is requested, Then the error says: try again later
    nowhere = StripePaymentGateway(API_KEY, api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(PaymentProviderUnavailable):
        checkout(nowhere)


def test_paying_on_the_hosted_page_delivers_a_signed_webhook_our_verifier_accepts(
    gateway, fake: FakeStripe, receiver: Receiver, verifier: StripeWebhookVerifier
) -> None:
    # Given a session and its hosted page
    session = checkout(gateway)
    with urllib.request.urlopen(session.url) as page:
        html = page.read().decode()
    assert "125.00 SEK" in html and 'id="pay"' in html and f'href="{CANCEL}"' in html
    # When the customer presses Pay
    location = pay_on_page(session.url)
    # Then the browser goes back to our success URL with the session id filled in
    assert location == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.session_id)
    # And before that, signed webhooks arrived, which our verifier accepts
    types = []
    invoice = InvoicePayments(invoice_total=12500, currency="sek")
    settled = 0
    for body, headers in receiver.deliveries:
        event = verifier.verify(body, headers["stripe-signature"])
        types.append(event["type"])
        outcome = apply_event(invoice, to_domain_event(event))
        invoice, settled = outcome.payments, settled + outcome.settled_amount
    assert types == ["checkout.session.completed", "payment_intent.succeeded"]
    # And folding them in marks the invoice paid, counting the money once
    assert invoice.status is InvoicePaymentStatus.PAID and settled == 12500
    # And the session now reads as complete and paid
    stored = gateway.retrieve_checkout_session(session.session_id)
    assert (stored["status"], stored["payment_status"]) == ("complete", "paid")
    # And pressing Pay again does not pay twice
    pay_on_page(session.url)
    assert len(receiver.deliveries) == 2


def test_a_delivery_signed_with_another_secret_is_refused(
    gateway, fake: FakeStripe, receiver: Receiver
) -> None:
    # Given the stand-in signing with its secret, and an endpoint expecting another one
    session = checkout(gateway)
    pay_on_page(session.url)
    body, headers = receiver.deliveries[0]
    # When verified with the wrong secret, Then it is refused
    with pytest.raises(WebhookSignatureInvalid):
        StripeWebhookVerifier("whsec_other").verify(body, headers["stripe-signature"])


def test_sepa_on_the_page_is_processing_first_then_settles(
    gateway, fake: FakeStripe, receiver: Receiver, verifier
) -> None:
    # Given a EUR session offering SEPA, When paid by SEPA
    session = gateway.create_checkout_session(
        _request("inv_9", "eur", None, ["card", "sepa_debit"]), amount=5000, description="Invoice 9"
    )
    pay_on_page(session.url, "sepa_debit")
    # Then, by the redirect, the session completed unpaid and the payment is processing (the
    # settlement's own deliveries follow on a timer, and on a busy machine may already be there)
    first_two = list(receiver.deliveries)[:2]
    mapped = [to_domain_event(verifier.verify(b, h["stripe-signature"])) for b, h in first_two]
    assert [type(m) for m in mapped] == [PaymentProcessing, PaymentProcessing]
    # And when the debit settles, the PaymentIntent's and the session's async successes follow
    fake.wait_for_deliveries()
    events = [verifier.verify(b, h["stripe-signature"]) for b, h in receiver.deliveries[2:]]
    assert [e["type"] for e in events] == [
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    # And folded in, they leave the invoice paid once
    invoice = InvoicePayments(invoice_total=5000, currency="eur")
    for body, headers in receiver.deliveries:
        invoice = apply_event(
            invoice, to_domain_event(verifier.verify(body, headers["stripe-signature"]))
        ).payments
    assert invoice.status is InvoicePaymentStatus.PAID and invoice.amount_paid == 5000


# --------------------------------------------------------------------------------------------------
# Mandates and off-session charges
# --------------------------------------------------------------------------------------------------


def test_a_setup_session_saves_a_method_that_the_collector_can_charge(
    gateway, fake: FakeStripe, receiver: Receiver, verifier
) -> None:
    # Given a setup session for SEPA and card, without a Stripe customer yet
    session = gateway.create_setup_session(
        _request("inv_2", "EUR", "kund@example.de", ["card", "sepa_debit"]), customer_id="cust-42"
    )
    request = fake.requests[-1]
    assert request.idempotency_key == "inv_2:setup:1"
    assert request.params["mode"] == "setup" and request.params["customer_creation"] == "always"
    # When the customer saves a SEPA mandate on the page
    pay_on_page(session.url, "sepa_debit")
    events = [verifier.verify(b, h["stripe-signature"]) for b, h in receiver.deliveries]
    activated = to_domain_event(events[-1])
    # Then the mandate is activated for our customer, with a Stripe customer, method and mandate
    assert isinstance(activated, MandateActivated)
    assert activated.customer_id == "cust-42" and activated.mandate_ref is not None
    # When the collector charges it on the due date
    result = gateway.charge_off_session(
        charge(
            "inv_3", 1, 5000, activated.payment_method_ref, currency="eur", customer=activated.customer_ref
        )
    )
    # Then it is processing (a bank debit), and the webhooks follow: processing, then succeeded
    assert result.status is ChargeStatus.PROCESSING
    assert fake.requests[-1].idempotency_key == "inv_3:charge:1"
    fake.wait_for_deliveries()
    later = [to_domain_event(verifier.verify(b, h["stripe-signature"])) for b, h in receiver.deliveries[2:]]
    assert [type(m) for m in later] == [PaymentProcessing, PaymentSucceeded]
    assert {m.invoice_id for m in later} == {"inv_3"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "status", "code", "decline"),
    [
        ("pm_card_visa", ChargeStatus.SUCCEEDED, None, None),
        (
            "pm_card_authenticationRequired",
            ChargeStatus.AUTHENTICATION_REQUIRED,
            "authentication_required",
            None,
        ),
        ("pm_card_chargeDeclined", ChargeStatus.DECLINED, "card_declined", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            ChargeStatus.DECLINED,
            "card_declined",
            "insufficient_funds",
        ),
    ],
)
def test_off_session_outcomes_are_results_not_exceptions(
    gateway, fake: FakeStripe, method, status, code, decline
) -> None:
    # Given a saved card with a known behaviour, When charged off-session
    result = gateway.charge_off_session(charge("inv_5", 1, 9900, method))
    # Then the outcome is typed, with the PaymentIntent to finish on the page if authentication is needed
    assert (result.status, result.failure_code, result.decline_code) == (status, code, decline)
    assert result.payment_ref is not None and result.payment_ref.startswith("pi_")
    request = fake.requests[-1]
    assert request.params["off_session"] == "true" and request.params["confirm"] == "true"


def test_a_retried_charge_is_not_charged_twice(gateway, fake: FakeStripe) -> None:
    # Given a charge for attempt 1 that succeeded
    first = gateway.charge_off_session(charge("inv_6", 1, 100, "pm_card_visa"))
    # When the collector retries the same attempt (Lambda retry), and one declined attempt is retried too
    again = gateway.charge_off_session(charge("inv_6", 1, 100, "pm_card_visa"))
    declined = gateway.charge_off_session(charge("inv_6", 2, 100, "pm_card_chargeDeclined"))
    declined_again = gateway.charge_off_session(charge("inv_6", 2, 100, "pm_card_chargeDeclined"))
    # Then one PaymentIntent per attempt exists, and the answers are replayed
    assert again == first and declined_again == declined
    assert len(fake.payment_intents) == 2
    assert [r.idempotency_key for r in fake.requests] == ["inv_6:charge:1"] * 2 + ["inv_6:charge:2"] * 2


# --------------------------------------------------------------------------------------------------
# Shapes and logs
# --------------------------------------------------------------------------------------------------


def test_answers_are_shaped_like_stripes_sample_objects(
    gateway, fake: FakeStripe, receiver: Receiver
) -> None:
    samples = load_fixture_objects()
    if samples is None:
        pytest.skip("Stripe's sample objects (../shared/stripe/fixtures3.json) are not beside the repository")
    # Given one object of each kind the stand-in produces
    session = checkout(gateway)
    pay_on_page(session.url)
    setup = gateway.create_setup_session(_request("inv_7", "eur", None, ["sepa_debit"]))
    pay_on_page(setup.url, "sepa_debit")
    event = json.loads(receiver.deliveries[0][0])
    produced = {
        "checkout.session": fake.sessions[session.session_id],
        "payment_intent": next(iter(fake.payment_intents.values())),
        "setup_intent": next(iter(fake.setup_intents.values())),
        "customer": next(iter(fake.customers.values())),
        "payment_method": next(iter(fake.payment_methods.values())),
        "event": event,
    }
    for kind, obj in produced.items():
        sample = samples[kind]
        public = {k: v for k, v in obj.items() if not k.startswith("_")}
        # Then every field we produce exists in Stripe's sample, with a compatible JSON type
        assert set(public) <= set(sample), (kind, set(public) - set(sample))
        for key, value in public.items():
            if value is not None and sample[key] is not None:
                assert type(value) is type(sample[key]), (kind, key)
        assert public["object"] == sample["object"]


def test_no_secret_or_card_detail_appears_in_logs(
    gateway, fake: FakeStripe, receiver: Receiver, verifier, caplog: pytest.LogCaptureFixture
) -> None:
    # Given everything logging at DEBUG
    caplog.set_level(logging.DEBUG)
    # When the flows run: a payment, a refused request, off-session outcomes, a forged webhook
    session = checkout(gateway)
    pay_on_page(session.url)
    with pytest.raises(PaymentRequestRejected):
        checkout(gateway, invoice_id="inv_x", methods=["cardd"])
    for attempt, method in enumerate(
        ("pm_card_visa", "pm_card_authenticationRequired", "pm_card_chargeDeclined")
    ):
        gateway.charge_off_session(charge("inv_8", attempt + 1, 500, method))
    fake.wait_for_deliveries()
    for body, headers in receiver.deliveries:
        verifier.verify(body, headers["stripe-signature"])
    with pytest.raises(WebhookSignatureInvalid):
        body, headers = receiver.deliveries[0]
        StripeWebhookVerifier("whsec_wrong").verify(body, headers["stripe-signature"])
    # Then the logs hold no key, no signing secret, no customer email, no card or client secret
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "the flows should have logged something"
    for forbidden in (
        API_KEY,
        WEBHOOK_SECRET,
        "whsec_",
        "sk_test_",
        "kund@example.se",
        "last4",
        "exp_year",
        "_secret_",
    ):
        assert forbidden not in text, forbidden


# --------------------------------------------------------------------------------------------------
# What happens later at Stripe: refunds, disputes, detaches, mandate changes, redeliveries
# --------------------------------------------------------------------------------------------------


def paid_invoice(gateway, fake: FakeStripe, receiver: Receiver, verifier) -> tuple[str, InvoicePayments]:
    session = checkout(gateway)
    pay_on_page(session.url)
    invoice = InvoicePayments(invoice_total=12500, currency="sek")
    for body, headers in receiver.deliveries:
        invoice = apply_event(
            invoice, to_domain_event(verifier.verify(body, headers["stripe-signature"]))
        ).payments
    payment_ref = gateway.retrieve_checkout_session(session.session_id)["payment_intent"]
    return payment_ref, invoice


def test_refunds_and_disputes_arrive_as_signed_events_naming_the_invoice(
    gateway, fake: FakeStripe, receiver: Receiver, verifier
) -> None:
    # Given a paid invoice
    payment_ref, invoice = paid_invoice(gateway, fake, receiver, verifier)
    delivered = len(receiver.deliveries)
    # When 25.00 is refunded, then the rest, and a dispute opens and is won
    fake.refund(payment_ref, 2500)
    fake.refund(payment_ref)
    dispute = fake.dispute(payment_ref)
    fake.close_dispute(dispute["data"]["object"]["id"], "won")
    # Then each arrives signed, names the invoice (metadata copied to the charge) or the payment
    outcomes = []
    for body, headers in receiver.deliveries[delivered:]:
        event = to_domain_event(verifier.verify(body, headers["stripe-signature"]))
        outcome = apply_event(invoice, event)
        invoice = outcome.payments
        outcomes.append(outcome)
        assert getattr(event, "invoice_id", "inv_1") == "inv_1" and event.payment_ref == payment_ref  # type: ignore[union-attr]
    # And credit notes cover the refunds exactly; the dispute flagged then unflagged the invoice
    assert [o.credit_note_amount for o in outcomes[:2]] == [2500, 10000]
    assert outcomes[2].dispute_opened and outcomes[3].dispute_closed and not invoice.disputed


def test_a_detached_method_ends_the_mandate_and_cannot_be_charged(
    gateway, fake: FakeStripe, receiver: Receiver, verifier
) -> None:
    # Given a saved SEPA mandate
    session = gateway.create_setup_session(_request("inv_2", "eur", None, ["sepa_debit"]))
    pay_on_page(session.url, "sepa_debit")
    activated = to_domain_event(verifier.verify(*_last(receiver)))
    assert isinstance(activated, MandateActivated) and activated.mandate_ref
    # When the bank reports the mandate inactive and the method is detached
    fake.update_mandate(activated.mandate_ref, "inactive")
    updated = to_domain_event(verifier.verify(*_last(receiver)))
    fake.detach_payment_method(activated.payment_method_ref)
    detached = to_domain_event(verifier.verify(*_last(receiver)))
    # Then the events say so, naming the customer it belonged to
    assert isinstance(updated, MandateUpdated) and updated.status is MandateStatus.INACTIVE
    assert isinstance(detached, MandateDetached) and detached.customer_ref == activated.customer_ref
    # And a charge on it is refused as permanent: fall back to an ordinary invoice
    with pytest.raises(PaymentRequestRejected):
        gateway.charge_off_session(
            charge(
                "inv_3", 1, 100, activated.payment_method_ref, currency="eur", customer=activated.customer_ref
            )
        )


def test_a_redelivery_is_the_same_event_re_signed(
    gateway, fake: FakeStripe, receiver: Receiver, verifier
) -> None:
    # Given a delivered event
    session = checkout(gateway)
    pay_on_page(session.url)
    first_body, first_headers = receiver.deliveries[0]
    event_id = verifier.verify(first_body, first_headers["stripe-signature"])["id"]
    # When Stripe redelivers it
    fake.redeliver(event_id)
    body, headers = receiver.deliveries[-1]
    # Then it verifies to the same event id (the key for processing once)
    assert verifier.verify(body, headers["stripe-signature"])["id"] == event_id
    assert body == first_body


def _last(receiver: Receiver) -> tuple[bytes, str]:
    body, headers = receiver.deliveries[-1]
    return body, headers["stripe-signature"]


def test_an_off_session_charge_either_forbids_redirects_or_says_where_to_return(
    gateway, fake: FakeStripe
) -> None:
    # Given the collector charging without and with a return URL (the invoice page)
    gateway.charge_off_session(charge("inv_10", 1, 100, "pm_card_visa"))
    gateway.charge_off_session(charge("inv_10", 2, 100, "pm_card_visa", return_url=CANCEL))
    without, with_url = fake.requests[-2].params, fake.requests[-1].params
    # Then the first restricts itself to methods that never redirect, the second names the page
    assert without["automatic_payment_methods"] == {"enabled": "true", "allow_redirects": "never"}
    assert with_url["return_url"] == CANCEL and "automatic_payment_methods" not in with_url
    # And a confirmation with neither is refused, as Stripe refuses it
    client = stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=0)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(
            {"amount": 100, "currency": "sek", "payment_method": "pm_card_visa", "confirm": True}
        )
    assert err.value.param == "return_url"


def test_racing_retries_of_one_charge_create_one_payment(gateway, fake: FakeStripe) -> None:
    # Given eight concurrent retries of the same attempt (Lambda retries racing each other)
    def retry(_: int):
        return gateway.charge_off_session(charge("inv_11", 1, 700, "pm_card_visa"))

    # When they all run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(retry, range(8)))
    # Then one PaymentIntent exists and every caller got it
    assert len(fake.payment_intents) == 1
    assert {r.payment_ref for r in results} == set(fake.payment_intents)
