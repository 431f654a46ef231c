"""How the gateway translates Stripe's answers, with the SDK's `http_client` replaced (no sockets)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from billing.adapters.stripe_gateway import StripePaymentGateway
from billing.domain.payments import ChargeStatus
from billing.services.errors import (
    PaymentIdempotencyConflict,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    PermanentError,
    RetryableError,
)
from billing.services.payments.ports import ChargeRequest, SessionRequest


class CannedHTTPClient(stripe.HTTPClient):
    """Answers every request with one canned response and remembers what was asked."""

    name = "canned"

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__()
        self.status, self.body = status, body
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # type: ignore[override]
        self.calls.append((method, url, dict(headers or {}), post_data))
        return json.dumps(self.body), self.status, {"Request-Id": "req_1"}


def gateway_answering(status: int, body: dict[str, Any]) -> tuple[StripePaymentGateway, CannedHTTPClient]:
    client = CannedHTTPClient(status, body)
    return StripePaymentGateway("sk_test_unit", max_network_retries=0, http_client=client), client


def pay(gateway: StripePaymentGateway, **overrides: Any):
    args: dict[str, Any] = {
        "invoice_id": "inv_1",
        "attempt": 1,
        "amount": 12500,
        "currency": "sek",
        "customer_email": None,
        "description": "Invoice 1",
        "success_url": "https://x/ok",
        "cancel_url": "https://x/no",
        "payment_methods": ["card"],
        "metadata": None,
    }
    args |= overrides
    amount, description = args.pop("amount"), args.pop("description")
    return gateway.create_checkout_session(SessionRequest(**args), amount=amount, description=description)


@pytest.mark.parametrize(
    ("status", "error", "expected", "kind"),
    [
        (500, {"type": "api_error", "message": "boom"}, PaymentProviderUnavailable, RetryableError),
        (503, {"type": "api_error", "message": "busy"}, PaymentProviderUnavailable, RetryableError),
        (
            429,
            {"type": "invalid_request_error", "code": "rate_limit", "message": "slow"},
            PaymentProviderUnavailable,
            RetryableError,
        ),
        (
            400,
            {"type": "invalid_request_error", "param": "mode", "message": "bad"},
            PaymentRequestRejected,
            PermanentError,
        ),
        (
            404,
            {"type": "invalid_request_error", "code": "resource_missing", "message": "no"},
            PaymentRequestRejected,
            PermanentError,
        ),
        (
            401,
            {"type": "invalid_request_error", "message": "Invalid API Key"},
            PaymentRequestRejected,
            PermanentError,
        ),
        (400, {"type": "idempotency_error", "message": "keys"}, PaymentIdempotencyConflict, PermanentError),
    ],
)
def test_sdk_errors_become_retryable_or_permanent(status, error, expected, kind) -> None:
    # Given Stripe answering with an error
    gateway, _ = gateway_answering(status, {"error": error})
    # When a session is requested, Then the error is ours, classed as retryable or permanent
    with pytest.raises(expected) as err:
        pay(gateway)
    assert isinstance(err.value, kind)
    assert err.value.field == error.get("param")


def test_the_pinned_version_and_the_idempotency_key_are_sent() -> None:
    # Given a gateway, When a session is requested
    gateway, client = gateway_answering(
        200,
        {
            "id": "cs_1",
            "object": "checkout.session",
            "url": "https://c/1",
            "status": "open",
            "payment_intent": None,
        },
    )
    session = pay(gateway, invoice_id="inv_77", attempt=3)
    # Then the headers carry our pinned version and the key derived from invoice and attempt
    _, url, headers, _ = client.calls[0]
    assert url.endswith("/v1/checkout/sessions")
    assert headers["Stripe-Version"] == "2026-10-28.endive"
    assert headers["Idempotency-Key"] == "inv_77:checkout:3"
    assert session.session_id == "cs_1" and session.url == "https://c/1"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("succeeded", ChargeStatus.SUCCEEDED),
        ("processing", ChargeStatus.PROCESSING),
        ("requires_action", ChargeStatus.AUTHENTICATION_REQUIRED),
        ("requires_payment_method", ChargeStatus.DECLINED),
    ],
)
def test_an_off_session_answer_maps_to_a_typed_result(status: str, expected: ChargeStatus) -> None:
    # Given Stripe answering a charge with a PaymentIntent in `status`
    gateway, client = gateway_answering(
        200, {"id": "pi_1", "object": "payment_intent", "status": status, "last_payment_error": None}
    )
    # When charged, Then the result is typed, and the key is <invoice>:charge:<attempt>
    result = gateway.charge_off_session(
        ChargeRequest(
            invoice_id="inv_1",
            attempt=2,
            amount=500,
            currency="SEK",
            stripe_customer="cus_1",
            payment_method="pm_1",
        )
    )
    assert (result.status, result.payment_ref) == (expected, "pi_1")
    assert client.calls[0][2]["Idempotency-Key"] == "inv_1:charge:2"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"currency": "kronor"}, "currency"),
        ({"attempt": 0}, "attempt"),
        ({"invoice_id": " "}, "invoice_id"),
        ({"payment_methods": []}, "payment_methods"),
        ({"payment_methods": "card"}, "payment_methods"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_input_is_refused_before_any_request(overrides: dict[str, Any], field: str) -> None:
    # Given a gateway that would answer anything
    gateway, client = gateway_answering(200, {})
    # When asked with bad input, Then it refuses by name and sends nothing
    with pytest.raises(PermanentError) as err:
        pay(gateway, **overrides)
    assert err.value.field == field
    assert client.calls == []


def test_no_key_is_a_configuration_error() -> None:
    # Given no Stripe key, When a gateway is built, Then it is refused by name
    with pytest.raises(PermanentError) as err:
        StripePaymentGateway("")
    assert err.value.field == "api_key"


def test_without_a_key_the_gateway_talks_to_the_local_stand_in() -> None:
    # Given no Stripe key and a local stand-in address
    client = CannedHTTPClient(
        200, {"id": "cs_1", "url": "http://127.0.0.1:1/checkout/cs_1", "status": "open"}
    )
    gateway = StripePaymentGateway.for_environment(
        None, local_api_base="http://127.0.0.1:1", max_network_retries=0, http_client=client
    )
    # When a session is requested, Then it goes to the stand-in with a test-mode key
    pay(gateway)
    _, url, headers, _ = client.calls[0]
    assert url == "http://127.0.0.1:1/v1/checkout/sessions"
    assert headers["Authorization"].startswith("Bearer sk_test_")


def test_with_a_key_the_gateway_talks_to_stripe_and_with_neither_it_refuses() -> None:
    # Given a test key, When a session is requested, Then it goes to api.stripe.com
    client = CannedHTTPClient(
        200, {"id": "cs_1", "url": "https://checkout.stripe.com/c/cs_1", "status": "open"}
    )
    pay(StripePaymentGateway.for_environment("sk_test_real", max_network_retries=0, http_client=client))
    assert client.calls[0][1].startswith("https://api.stripe.com/v1/")
    # Given neither, Then it is a configuration error
    with pytest.raises(PermanentError) as err:
        StripePaymentGateway.for_environment(None)
    assert err.value.code == "not_configured"
