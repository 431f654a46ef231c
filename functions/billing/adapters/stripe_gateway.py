"""Stripe as our payment gateway: hosted Checkout for paying and for setting up mandates, off-session charges.

Every call goes through one `stripe.StripeClient` pinned to `STRIPE_API_VERSION`, the version the SDK's
typed parameters describe; the local Stripe stand-in (`infra/stripe_fake.py`) checks our requests
against those same typed parameters. Without a real key the client is pointed at the stand-in through
`api_base`; nothing else changes.

Payment methods: from API version 2026-10-28.endive, Stripe refuses `payment_method_types` on Checkout
Session, PaymentIntent and SetupIntent creation. The typed parameters replace it with
`allowed_payment_method_types`, a filter on the methods Stripe finds eligible (dashboard settings,
currency, amount). We pass the tenant's chosen methods there (see docs/payments.md).

Idempotency keys derive from our business ids, so a retried Lambda never creates a second session or
charge: `<invoice_id>:checkout:<attempt>`, `<invoice_id>:setup:<attempt>`, `<invoice_id>:charge:<attempt>`.
SDK exceptions are translated into `billing.services.errors`; a decline or an authentication request on
an off-session charge is an ordinary outcome (`ChargeResult`), not an exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import stripe
from stripe.params import PaymentIntentCreateParams
from stripe.params.checkout import SessionCreateParams

from billing.domain.payments import (
    METADATA_ATTEMPT,
    METADATA_CUSTOMER_ID,
    METADATA_INVOICE_ID,
    ChargeResult,
    ChargeStatus,
    CheckoutSession,
)
from billing.services.errors import (
    PaymentIdempotencyConflict,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    PermanentError,
)
from billing.services.payments.ports import ChargeRequest, SessionRequest

# The API version our requests are written for and checked against. It must equal the pinned SDK's own
# version: a test fails when the SDK is bumped without re-reading its typed parameters.
STRIPE_API_VERSION = "2026-10-28.endive"

# The key used against the local stand-in, which accepts any test-mode key and nothing else.
LOCAL_STAND_IN_KEY = "sk_test_local_stand_in"

logger = logging.getLogger(__name__)
# The SDK logs whole request and response bodies at DEBUG (customer emails, client secrets, card
# summaries). A function running with DEBUG logging must not print them: keep its logger at WARNING.
logging.getLogger("stripe").setLevel(logging.WARNING)

_CURRENCY = re.compile(r"^[a-z]{3}$")


def checkout_idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"{invoice_id}:checkout:{attempt}"


def setup_idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"{invoice_id}:setup:{attempt}"


def charge_idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"{invoice_id}:charge:{attempt}"


class StripePaymentGateway:
    """Creates Checkout Sessions and off-session charges for invoices.

    `api_base` points the SDK elsewhere than api.stripe.com (the local stand-in). `max_network_retries`
    is the SDK's own retry of connection failures and 5xx answers; it is safe because every POST carries
    our idempotency key.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 2,
        timeout_seconds: float = 20.0,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        if not api_key:
            raise PermanentError("a Stripe secret key is required", field="api_key")
        self._client = stripe.StripeClient(
            api_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=http_client or stripe.RequestsClient(timeout=timeout_seconds),
        )

    @classmethod
    def for_environment(
        cls, api_key: str | None, *, local_api_base: str | None = None, **options: Any
    ) -> StripePaymentGateway:
        """Stripe itself when a key is configured; otherwise the local stand-in at `local_api_base`.

        The local default (no key) therefore runs exactly the same code against `infra/stripe_fake.py`.
        """
        if api_key:
            return cls(api_key, **options)
        if not local_api_base:
            raise PermanentError(
                "no Stripe key and no local stand-in configured", field="api_key", code="not_configured"
            )
        return cls(LOCAL_STAND_IN_KEY, api_base=local_api_base, **options)

    # ----------------------------------------------------------------------------------------------
    # Paying an invoice on the page
    # ----------------------------------------------------------------------------------------------

    def create_checkout_session(
        self, request: SessionRequest, *, amount: int, description: str
    ) -> CheckoutSession:
        """A hosted Checkout Session (payment mode) for `amount` minor units of the request's currency.

        The same invoice and attempt always yield the same session (idempotency key), so a double click
        or a retried request redirects to one page. Our metadata goes on the session and on its
        PaymentIntent, so every later event about the payment names the invoice.
        """
        _check_amount(amount)
        currency = _check_currency(request.currency)
        _check_text("description", description)
        tagged = _metadata(request.invoice_id, request.attempt, request.metadata)
        # Typed as the SDK's own parameters, so mypy checks the shape before the stand-in does.
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                }
            ],
            "payment_intent_data": {"description": description, "metadata": tagged},
        }
        key = checkout_idempotency_key(request.invoice_id, request.attempt)
        return self._create_session("checkout.create", key, request, params, tagged)

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        """The session as a plain dict (e.g. to check its state when the customer returns)."""
        session = self._call(
            "checkout.retrieve", None, lambda: self._client.v1.checkout.sessions.retrieve(session_id)
        )
        return dict(session.to_dict())

    # ----------------------------------------------------------------------------------------------
    # Mandates: "pay automatically from now on"
    # ----------------------------------------------------------------------------------------------

    def create_setup_session(
        self, request: SessionRequest, *, customer_id: str | None = None
    ) -> CheckoutSession:
        """A hosted Checkout Session in setup mode: saves a reusable method (card, SEPA, Klarna) for later.

        Without `stripe_customer`, Checkout creates one (a payment method can only be reused when it
        belongs to a customer). Our metadata goes on the SetupIntent: `setup_intent.succeeded` is the
        event that records the mandate.
        """
        currency = _check_currency(request.currency)
        tagged = _metadata(request.invoice_id, request.attempt, request.metadata)
        if customer_id:
            tagged[METADATA_CUSTOMER_ID] = customer_id
        params: SessionCreateParams = {
            "mode": "setup",
            "currency": currency,
            "setup_intent_data": {"metadata": tagged},
        }
        if request.stripe_customer is None:
            params["customer_creation"] = "always"
        key = setup_idempotency_key(request.invoice_id, request.attempt)
        return self._create_session("setup.create", key, request, params, tagged)

    def _create_session(
        self,
        operation: str,
        idempotency_key: str,
        request: SessionRequest,
        params: SessionCreateParams,
        tagged: dict[str, str],
    ) -> CheckoutSession:
        """What every hosted session carries besides its mode: the methods offered, where the customer
        returns, our invoice and metadata, the customer and the page's language."""
        params["allowed_payment_method_types"] = list(_check_methods(request.payment_methods))
        params["success_url"] = request.success_url
        params["cancel_url"] = request.cancel_url
        params["client_reference_id"] = request.invoice_id
        params["metadata"] = tagged
        _customer_params(params, request.stripe_customer, request.customer_email)
        if request.locale:
            params["locale"] = request.locale
        session = self._call(
            operation,
            request.invoice_id,
            lambda: self._client.v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key}),
        )
        return _checkout_session(session.to_dict())

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult:
        """Returns the outcome; raises only when asking again could change it (`RetryableError`) or when
        the request itself is wrong (`PermanentError`)."""
        r = request
        _check_amount(r.amount)
        currency = _check_currency(r.currency)
        _check_text("stripe_customer", r.stripe_customer)
        _check_text("payment_method", r.payment_method)
        params: PaymentIntentCreateParams = {
            "amount": r.amount,
            "currency": currency,
            "customer": r.stripe_customer,
            "payment_method": r.payment_method,
            "confirm": True,
            "off_session": True,
            "metadata": _metadata(r.invoice_id, r.attempt, r.metadata),
        }
        if r.description:
            params["description"] = r.description
        if r.return_url:
            params["return_url"] = r.return_url
        else:
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        if r.mandate:
            params["mandate"] = r.mandate
        try:
            intent = self._client.v1.payment_intents.create(
                params,
                {"idempotency_key": charge_idempotency_key(r.invoice_id, r.attempt)},
            )
        except stripe.CardError as err:
            # Declines and authentication requests come back as 402 with the PaymentIntent inside.
            error = _error_body(err)
            code = error.get("code")
            intent_obj = error.get("payment_intent")
            payment_ref = intent_obj.get("id") if isinstance(intent_obj, Mapping) else None
            status = (
                ChargeStatus.AUTHENTICATION_REQUIRED
                if code == "authentication_required"
                else ChargeStatus.DECLINED
            )
            logger.info(
                "off-session charge not completed",
                extra={
                    "invoice_id": r.invoice_id,
                    "attempt": r.attempt,
                    "outcome": status.value,
                    "code": code,
                },
            )
            return ChargeResult(
                status=status,
                payment_ref=payment_ref,
                failure_code=code if isinstance(code, str) else None,
                decline_code=error.get("decline_code"),
            )
        except stripe.StripeError as err:
            _translate(err, "charge.create", r.invoice_id)
        return _charge_result(intent.to_dict())

    # ----------------------------------------------------------------------------------------------

    def _call(self, operation: str, invoice_id: str | None, call: Any) -> Any:
        try:
            return call()
        except stripe.StripeError as err:
            _translate(err, operation, invoice_id)


def _translate(err: stripe.StripeError, operation: str, invoice_id: str | None) -> NoReturn:
    """Map an SDK exception onto our hierarchy. Only codes are logged: Stripe's messages may echo input."""
    error = _error_body(err)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    param = error.get("param") if isinstance(error.get("param"), str) else None
    logger.warning(
        "stripe request failed",
        extra={
            "operation": operation,
            "invoice_id": invoice_id,
            "error_class": type(err).__name__,
            "http_status": err.http_status,
            "code": code,
            "param": param,
        },
    )
    raw_message = error.get("message")
    message = raw_message if isinstance(raw_message, str) else type(err).__name__
    if isinstance(err, stripe.IdempotencyError):
        raise PaymentIdempotencyConflict(message, code="idempotency_error") from err
    if isinstance(err, stripe.RateLimitError | stripe.APIConnectionError):
        raise PaymentProviderUnavailable(message, code=code or "unavailable") from err
    if isinstance(err, stripe.InvalidRequestError | stripe.CardError):
        raise PaymentRequestRejected(message, field=param, code=code) from err
    if isinstance(err, stripe.AuthenticationError | stripe.PermissionError):
        raise PaymentRequestRejected("Stripe refused our credentials", code="authentication") from err
    if err.http_status is None or err.http_status >= 500:
        raise PaymentProviderUnavailable(message, code=code or "api_error") from err
    raise PaymentRequestRejected(message, field=param, code=code) from err


def _error_body(err: stripe.StripeError) -> dict[str, Any]:
    body = err.json_body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        return dict(body["error"])
    return {}


def _checkout_session(session: Mapping[str, Any]) -> CheckoutSession:
    url = session.get("url")
    if not isinstance(url, str) or not url:
        raise PaymentRequestRejected("Stripe returned a session without a URL", field="url")
    intent = session.get("payment_intent")
    return CheckoutSession(
        session_id=str(session["id"]),
        url=url,
        status=str(session.get("status") or "open"),
        payment_ref=intent if isinstance(intent, str) else None,
    )


def _charge_result(intent: Mapping[str, Any]) -> ChargeResult:
    status = intent.get("status")
    payment_ref = str(intent["id"])
    if status == "succeeded":
        return ChargeResult(ChargeStatus.SUCCEEDED, payment_ref)
    if status == "processing":
        return ChargeResult(ChargeStatus.PROCESSING, payment_ref)
    if status == "requires_action":
        return ChargeResult(
            ChargeStatus.AUTHENTICATION_REQUIRED, payment_ref, failure_code="authentication_required"
        )
    error = intent.get("last_payment_error")
    error = error if isinstance(error, Mapping) else {}
    return ChargeResult(
        ChargeStatus.DECLINED,
        payment_ref,
        failure_code=error.get("code"),
        decline_code=error.get("decline_code"),
    )


def _metadata(invoice_id: str, attempt: int, extra: Mapping[str, str] | None) -> dict[str, str]:
    _check_text("invoice_id", invoice_id)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise PermanentError("must be a positive integer", field="attempt")
    return {**(extra or {}), METADATA_INVOICE_ID: invoice_id, METADATA_ATTEMPT: str(attempt)}


def _customer_params(params: SessionCreateParams, stripe_customer: str | None, email: str | None) -> None:
    # Stripe accepts either an existing customer or an email to prefill, not both.
    if stripe_customer:
        params["customer"] = stripe_customer
    elif email:
        params["customer_email"] = email


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PermanentError("must be a positive integer in minor units", field="amount")


def _check_currency(currency: str) -> str:
    lowered = currency.lower() if isinstance(currency, str) else ""
    if not _CURRENCY.match(lowered):
        raise PermanentError("must be a three-letter ISO 4217 code", field="currency")
    return lowered


def _check_text(field: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PermanentError("must not be empty", field=field)


def _check_methods(methods: Sequence[str]) -> Sequence[str]:
    if isinstance(methods, str) or not methods:
        raise PermanentError("must list at least one payment method", field="payment_methods")
    return methods
