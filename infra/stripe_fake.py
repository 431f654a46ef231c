"""A local Stripe stand-in: the API endpoints our gateway calls, a hosted-checkout page, signed webhooks.

Two users: the tests (the gateway talks to it over real HTTP on 127.0.0.1) and the local stack (`make
demo`, where there is no Stripe key). It is strict on purpose: every request's form-encoded parameters
are checked against the Stripe SDK's own typed parameters (`stripe.params...CreateParams` TypedDicts)
for the pinned API version, so a parameter our code builds wrongly is refused with a Stripe-shaped 400
exactly as Stripe would refuse it, and a test fails.

What it checks, for each request:
- `Authorization: Bearer sk_test_...` (live keys are refused: the stand-in must never look live);
- `Stripe-Version`, when sent, equals the SDK's pinned version;
- every key is declared by the endpoint's TypedDict (walked recursively with `typing.get_type_hints`:
  nested TypedDicts, lists, dicts, Literal values, required keys). The SDK writes enumerations as
  `Literal[...] | str` so that it keeps working with values newer than itself; the server of the pinned
  version knows only the listed values, so the stand-in treats them as closed (as Stripe does);
- a few of Stripe's documented cross-field rules for the endpoints we use (mode needs line_items, ...);
- `Idempotency-Key`: the same key with the same parameters replays the first answer; with different
  parameters it is refused with `idempotency_error`, like Stripe.

Answers are built here, shaped like Stripe's official sample objects (`stripe/fixtures3.json`; the tests
compare the shapes when that file is available). The stand-in needs nothing outside this repository.

Hosted checkout: a session's `url` is `GET /checkout/<id>` here, a tiny page with the amount, a Pay
button and a Cancel link. Paying marks the session complete, delivers the signed webhooks Stripe would
send (`checkout.session.completed`, then `payment_intent.succeeded` or `setup_intent.succeeded`) to the
configured webhook URL, and redirects to the session's `success_url`.

Off-session charges follow Stripe's test payment methods: `pm_card_authenticationRequired` needs the
customer, `pm_card_chargeDeclined` (and `...InsufficientFunds`) is declined, a SEPA method goes to
processing, anything else succeeds.

Run alone: `python -m infra.stripe_fake --port 12111 --webhook-url http://127.0.0.1:3000/webhooks/stripe`
(the signing secret comes from STRIPE_FAKE_WEBHOOK_SECRET, never from the command line).
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import logging
import os
import queue
import re
import secrets
import threading
import time
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe
import typing_extensions
from stripe._api_version import _ApiVersion
from stripe._request_options import RequestOptions
from stripe.params import (
    CustomerCreateParams,
    CustomerRetrieveParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    PaymentIntentRetrieveParams,
    PaymentMethodRetrieveParams,
    SetupIntentRetrieveParams,
)
from stripe.params.checkout import SessionCreateParams, SessionExpireParams, SessionRetrieveParams

logger = logging.getLogger(__name__)

PINNED_API_VERSION = _ApiVersion.CURRENT
DEFAULT_WEBHOOK_SECRET = "whsec_local_stripe_fake"  # noqa: S105 - a fixed local-only value, not a secret

# Names the SDK's TypedDicts inherit from RequestOptions: client-side options, never sent as parameters.
_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
# Names RequestOptions refers to only under TYPE_CHECKING; get_type_hints needs them to exist.
_HINT_NAMESPACE: dict[str, Any] = {
    "StripeContext": object,
    "Mapping": typing.Mapping,
    "Optional": typing.Optional,
}


# ==================================================================================================
# Checking parameters against the SDK's typed parameters
# ==================================================================================================


class ParamError(Exception):
    """A request parameter Stripe would refuse; becomes a 400 `invalid_request_error`."""

    def __init__(self, param: str, message: str, code: str = "parameter_invalid") -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.code = code


@functools.cache
def _hints(typed_dict: type) -> dict[str, Any]:
    hints = typing.get_type_hints(typed_dict, localns=_HINT_NAMESPACE, include_extras=True)
    return {name: hint for name, hint in hints.items() if name not in _REQUEST_OPTION_KEYS}


def _required_keys(typed_dict: type) -> frozenset[str]:
    return frozenset(getattr(typed_dict, "__required_keys__", frozenset())) - _REQUEST_OPTION_KEYS


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _join(path: str, key: str) -> str:
    return f"{path}[{key}]" if path else key


_INT = re.compile(r"^-?\d+$")


def check_params(params: Mapping[str, Any], typed_dict: type) -> None:
    """Raise `ParamError` for the first parameter `typed_dict` does not allow (decoded form params)."""
    _check(params, typed_dict, "")


def _check(value: Any, tp: Any, path: str) -> None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.NotRequired, typing.Required, typing.Annotated):
        _check(value, args[0], path)
        return
    if tp is Any or tp is object:
        return
    if _is_typeddict(tp):
        _check_object(value, tp, path)
        return
    if origin in (typing.Union, types.UnionType):
        _check_union(value, args, path)
        return
    if origin is typing.Literal:
        allowed = [_literal_text(a) for a in args]
        if not isinstance(value, str) or value not in allowed:
            raise ParamError(path, f"Invalid {path}: must be one of {', '.join(repr(a) for a in allowed)}")
        return
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations use typing.List
        items = _as_list(value, path)
        for index, item in enumerate(items):
            _check(item, args[0], _join(path, str(index)))
        return
    if origin in (dict, typing.Dict) or _is_stripe_object_generic(origin):  # noqa: UP006
        if not isinstance(value, dict):
            raise ParamError(path, f"Invalid object: {path} must be a hash")
        value_type = args[1] if len(args) == 2 else (args[0] if args else Any)
        for key, item in value.items():
            _check(item, value_type, _join(path, key))
        return
    _check_scalar(value, tp, path)


def _check_object(value: Any, tp: type, path: str) -> None:
    if not isinstance(value, dict):
        raise ParamError(path, f"Invalid object: {path} must be a hash")
    hints = _hints(tp)
    for key, item in value.items():
        if key not in hints:
            raise ParamError(
                _join(path, key), f"Received unknown parameter: {_join(path, key)}", "parameter_unknown"
            )
        _check(item, hints[key], _join(path, key))
    for key in sorted(_required_keys(tp)):
        if key not in value:
            raise ParamError(
                _join(path, key), f"Missing required param: {_join(path, key)}.", "parameter_missing"
            )


def _check_union(value: Any, arms: tuple[Any, ...], path: str) -> None:
    literal_values = {
        _literal_text(v)
        for arm in arms
        if typing.get_origin(arm) is typing.Literal
        for v in typing.get_args(arm)
    }
    # `Literal['a', 'b'] | str` is the SDK's escape hatch for values newer than itself; the pinned
    # version's server knows only the listed values. `Literal[''] | str` (an empty string unsets a
    # field) is a genuine string field.
    closed = bool(literal_values - {""})
    candidates = [arm for arm in arms if not (closed and arm is str)]
    errors: list[ParamError] = []
    for arm in candidates:
        try:
            _check(value, arm, path)
            return
        except ParamError as err:
            errors.append(err)
    if closed and isinstance(value, str):
        shown = ", ".join(repr(v) for v in sorted(literal_values))
        raise ParamError(path, f"Invalid {path}: must be one of {shown}")
    # Prefer the error of an arm that matched the value's kind and failed deeper inside it.
    deeper = [err for err in errors if err.code != "parameter_invalid" or err.param != path]
    raise (deeper or errors)[0]


def _check_scalar(value: Any, tp: Any, path: str) -> None:
    if isinstance(value, dict | list):
        raise ParamError(path, f"Invalid {path}: expected a single value, got an object or array")
    if tp is str:
        return
    if tp is bool:
        if value not in ("true", "false"):
            raise ParamError(path, f"Invalid boolean: {value!r}")
        return
    if tp is int:
        if not _INT.match(value):
            raise ParamError(path, f"Invalid integer: {value!r}", "parameter_invalid_integer")
        return
    if tp in (float, Decimal):
        try:
            Decimal(value)
        except InvalidOperation:
            raise ParamError(path, f"Invalid decimal: {value!r}") from None
        return
    # Any other annotation (none occur on our endpoints) is accepted as a string.


def _literal_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _is_stripe_object_generic(origin: Any) -> bool:
    # `UntypedStripeObject[str]` (a metadata hash) is a StripeObject, which is no longer a dict subclass.
    return isinstance(origin, type) and issubclass(origin, stripe.StripeObject)


def _as_list(value: Any, path: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        indexes = sorted(int(key) for key in value)
        if indexes != list(range(len(indexes))):
            raise ParamError(path, f"Invalid array: {path} must be indexed from 0 without gaps")
        return [value[str(i)] for i in indexes]
    raise ParamError(path, f"Invalid array: {path} must be an array")


_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild the nested structure the SDK flattened (`a[b][0][c]=v`) from form pairs."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        parts = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        if not head or any(part == "" for part in parts[1:]):
            raise ParamError(raw_key, f"Invalid parameter name: {raw_key}")
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            path = "".join([parts[0], *(f"[{p}]" for p in parts[1 : depth + 1])])
            if last:
                if part in node:
                    raise ParamError(path, f"Duplicate parameter: {path}")
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ParamError(path, f"Invalid {path}: both a value and an object")
                node = child
    return root


# ==================================================================================================
# Objects, shaped like Stripe's sample objects
# ==================================================================================================


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _address() -> dict[str, Any]:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def _session_object(sid: str, params: Mapping[str, Any], base_url: str, now: int) -> dict[str, Any]:
    mode = params.get("mode", "payment")
    items = _as_list(params.get("line_items", []), "line_items")
    amount = sum(
        int(item.get("price_data", {}).get("unit_amount", "0")) * int(item.get("quantity", "1"))
        for item in items
    )
    currency = params.get("currency") or (items[0].get("price_data", {}).get("currency") if items else None)
    methods = _as_list(params.get("allowed_payment_method_types", ["card"]), "allowed_payment_method_types")
    return {
        "id": sid,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount if mode == "payment" else None,
        "amount_total": amount if mode == "payment" else None,
        "automatic_tax": {"enabled": False, "liability": None, "status": None, "provider": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": params.get("customer"),
        "customer_creation": params.get("customer_creation"),
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": now + 24 * 3600,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": dict(params.get("metadata") or {}),
        "mode": mode,
        "payment_intent": None,  # created when the customer confirms, as Stripe does
        "payment_link": None,
        "payment_method_collection": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": methods,
        "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": f"{base_url}/checkout/{sid}",
        "discounts": [],
        "wallet_options": None,
        "origin_context": None,
        "customer_account": None,
        "integration_identifier": None,
    }


def _payment_intent_object(
    *,
    amount: int,
    currency: str,
    customer: str | None,
    payment_method: str | None,
    metadata: Mapping[str, str],
    description: str | None,
    status: str,
    now: int,
    methods: list[str],
    last_payment_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    pid = _new_id("pi")
    succeeded = status == "succeeded"
    return {
        "id": pid,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if succeeded else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pid}_secret_{secrets.token_hex(8)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": last_payment_error,
        "latest_charge": _new_id("ch") if succeeded or status == "processing" else None,
        "livemode": False,
        "metadata": dict(metadata),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": methods,
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
    }


def _setup_intent_object(
    *,
    customer: str,
    payment_method: str,
    mandate: str | None,
    metadata: Mapping[str, str],
    now: int,
    methods: list[str],
) -> dict[str, Any]:
    sid = _new_id("seti")
    return {
        "id": sid,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": f"{sid}_secret_{secrets.token_hex(8)}",
        "created": now,
        "customer": customer,
        "description": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": mandate,
        "metadata": dict(metadata),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": methods,
        "single_use_mandate": None,
        "status": "succeeded",
        "usage": "off_session",
        "excluded_payment_method_types": None,
    }


def _customer_object(cid: str, email: str | None, now: int) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": email,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _payment_method_object(pmid: str, method_type: str, customer: str | None, now: int) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if method_type == "card":
        # Stripe's own test card; a stand-in never sees a real card.
        details = {
            "card": {
                "brand": "visa",
                "country": "SE",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": "4242",
            }
        }
    elif method_type == "sepa_debit":
        details = {"sepa_debit": {"bank_code": "37040044", "country": "DE", "last4": "3000"}}
    return {
        "id": pmid,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": _address(),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "created": now,
        "customer": customer,
        "livemode": False,
        "metadata": {},
        "type": method_type,
        **details,
        "customer_account": None,
    }


def _charge_object(charge_id: str, intent: Mapping[str, Any], now: int) -> dict[str, Any]:
    # Stripe copies a PaymentIntent's metadata to the charge it creates on confirmation.
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount_received"],
        "amount_refunded": 0,
        "captured": True,
        "created": now,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "refunded": False,
        "status": "succeeded",
    }


def _mandate_object(mandate_id: str, payment_method: str, now: int) -> dict[str, Any]:
    return {
        "id": mandate_id,
        "object": "mandate",
        "customer_acceptance": {
            "accepted_at": now,
            "online": {"ip_address": "127.0.0.1", "user_agent": "local"},
            "type": "online",
        },
        "livemode": False,
        "multi_use": {},
        "payment_method": payment_method,
        "payment_method_details": {
            "sepa_debit": {"reference": mandate_id.upper()[-12:], "url": ""},
            "type": "sepa_debit",
        },
        "status": "active",
        "type": "multi_use",
    }


def _event_object(
    event_type: str, obj: Mapping[str, Any], now: int, previous_attributes: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": dict(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = dict(previous_attributes)
    return {
        "id": _new_id("evt"),
        "object": "event",
        "api_version": PINNED_API_VERSION,
        "created": now,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


# ==================================================================================================
# The server
# ==================================================================================================


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the stand-in saw it (never the Authorization header)."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery attempt: which event, where, and the receiver's HTTP status (0: unreachable)."""

    event_id: str
    event_type: str
    status: int


class _StripeError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def _invalid(param: str | None, message: str, code: str = "parameter_invalid") -> _StripeError:
    return _StripeError(
        400, {"type": "invalid_request_error", "param": param, "message": message, "code": code}
    )


def _missing(kind: str, oid: str) -> _StripeError:
    return _StripeError(
        404,
        {
            "type": "invalid_request_error",
            "param": "id",
            "code": "resource_missing",
            "message": f"No such {kind}: '{oid}'",
        },
    )


Route = tuple[str, re.Pattern[str], type, str]

_ROUTES: list[Route] = [
    ("POST", re.compile(r"^/v1/checkout/sessions$"), SessionCreateParams, "create_session"),
    ("GET", re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)$"), SessionRetrieveParams, "get_session"),
    (
        "POST",
        re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)/expire$"),
        SessionExpireParams,
        "expire_session",
    ),
    ("POST", re.compile(r"^/v1/payment_intents$"), PaymentIntentCreateParams, "create_payment_intent"),
    (
        "GET",
        re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"),
        PaymentIntentRetrieveParams,
        "get_payment_intent",
    ),
    (
        "POST",
        re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)/confirm$"),
        PaymentIntentConfirmParams,
        "confirm_payment_intent",
    ),
    ("GET", re.compile(r"^/v1/setup_intents/(?P<id>[^/]+)$"), SetupIntentRetrieveParams, "get_setup_intent"),
    ("POST", re.compile(r"^/v1/customers$"), CustomerCreateParams, "create_customer"),
    ("GET", re.compile(r"^/v1/customers/(?P<id>[^/]+)$"), CustomerRetrieveParams, "get_customer"),
    (
        "GET",
        re.compile(r"^/v1/payment_methods/(?P<id>[^/]+)$"),
        PaymentMethodRetrieveParams,
        "get_payment_method",
    ),
]


class FakeStripe:
    """The stand-in's state and behaviour; the HTTP plumbing is `_Handler`. Thread-safe."""

    def __init__(
        self, *, webhook_url: str | None, webhook_secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._clock = clock
        self._lock = threading.RLock()
        self.url = ""  # set once the server is bound
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.events: list[dict[str, Any]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.setup_intents: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.mandates: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, str, str, int, bytes]] = {}
        self._outbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"FakeStripe(url={self.url!r}, webhook_url={self.webhook_url!r})"

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """Stop serving and delivering; waits for the threads to end."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def wait_for_deliveries(self) -> None:
        """Block until every webhook queued so far was delivered (or failed to be)."""
        self._outbox.join()

    # ------------------------------------------------------------------ API

    def handle_api(
        self, method: str, raw_path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        """Answer one API request. Requests are served one at a time: the check for a replayed
        idempotency key and the work it guards must not interleave (two racing retries of one charge
        would otherwise both create a PaymentIntent)."""
        with self._lock:
            return self._handle_api(method, raw_path, body, headers)

    def _handle_api(
        self, method: str, raw_path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        idempotency_key = headers.get("idempotency-key")
        params: dict[str, Any] = {}
        try:
            self._check_auth(headers)
            route, match = self._route(method, path)
            raw = split.query if method == "GET" else body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True, strict_parsing=False)
            params = decode_form(pairs)
            check_params(params, route[2])
            canonical = json.dumps(sorted(pairs))
            if method == "POST" and idempotency_key:
                replay = self._replay(headers, idempotency_key, method, path, canonical)
                if replay is not None:
                    self._record(method, path, params, idempotency_key, replay[0])
                    return replay[0], replay[1], {"Idempotent-Replayed": "true"}
            status, payload = self._dispatch(route[3], match, params)
        except ParamError as err:
            status, payload = (
                400,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "param": err.param,
                        "message": err.message,
                        "code": err.code,
                    }
                },
            )
            encoded = json.dumps(payload).encode()
            self._record(method, path, params, idempotency_key, status)
            return status, encoded, {}
        except _StripeError as err:
            status, payload = err.status, {"error": err.error}
            encoded = json.dumps(payload).encode()
            self._record(method, path, params, idempotency_key, status)
            # A card error happened after validation: Stripe saves it for the key like a success.
            if err.status == 402 and method == "POST" and idempotency_key:
                self._save(headers, idempotency_key, method, path, canonical, status, encoded)
            return status, encoded, {}
        encoded = json.dumps(payload).encode()
        if method == "POST" and idempotency_key:
            self._save(headers, idempotency_key, method, path, canonical, status, encoded)
        self._record(method, path, params, idempotency_key, status)
        return status, encoded, {}

    def _check_auth(self, headers: Mapping[str, str]) -> None:
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        if not key.startswith(("sk_test_", "rk_test_")):
            raise _StripeError(
                401,
                {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided (the stand-in accepts test keys only)",
                },
            )
        version = headers.get("stripe-version")
        if version is not None and version != PINNED_API_VERSION:
            raise _invalid(
                None,
                f"This stand-in speaks Stripe API version {PINNED_API_VERSION}, not {version}",
                "api_version_invalid",
            )

    def _route(self, method: str, path: str) -> tuple[Route, re.Match[str]]:
        for route in _ROUTES:
            match = route[1].match(path)
            if match and route[0] == method:
                return route, match
        raise _StripeError(
            404, {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}
        )

    def _idem_scope(self, headers: Mapping[str, str], key: str) -> tuple[str, str]:
        return headers.get("authorization", ""), key

    def _replay(
        self, headers: Mapping[str, str], key: str, method: str, path: str, canonical: str
    ) -> tuple[int, bytes] | None:
        with self._lock:
            saved = self._idempotency.get(self._idem_scope(headers, key))
        if saved is None:
            return None
        saved_method, saved_path, saved_params, status, body = saved
        if (saved_method, saved_path, saved_params) != (method, path, canonical):
            raise _StripeError(
                400,
                {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than '" + key + "' if you meant "
                    "to execute a different request.",
                },
            )
        return status, body

    def _save(
        self,
        headers: Mapping[str, str],
        key: str,
        method: str,
        path: str,
        canonical: str,
        status: int,
        body: bytes,
    ) -> None:
        with self._lock:
            self._idempotency.setdefault(
                self._idem_scope(headers, key), (method, path, canonical, status, body)
            )

    def _record(self, method: str, path: str, params: dict[str, Any], key: str | None, status: int) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, key, status))

    def _dispatch(
        self, name: str, match: re.Match[str], params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        handler: Callable[..., dict[str, Any]] = getattr(self, f"_api_{name}")
        ident = match.groupdict().get("id")
        with self._lock:
            return 200, (handler(ident, params) if ident is not None else handler(params))

    def _now(self) -> int:
        return int(self._clock())

    # Checkout Sessions ----------------------------------------------------------------------------

    def _api_create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode is None:
            raise _invalid("mode", "Missing required param: mode.", "parameter_missing")
        if mode == "subscription":
            raise _invalid("mode", "The stand-in does not implement subscription mode.")
        if mode == "payment" and not params.get("line_items"):
            raise _invalid(
                "line_items", "You must specify `line_items` in `payment` mode.", "parameter_missing"
            )
        if mode == "setup":
            if "line_items" in params:
                raise _invalid("line_items", "You cannot pass `line_items` in `setup` mode.")
            if not params.get("currency") and "allowed_payment_method_types" not in params:
                raise _invalid(
                    "currency",
                    "`currency` is required in `setup` mode when `allowed_payment_method_types` is not set.",
                    "parameter_missing",
                )
        if mode == "payment" and "setup_intent_data" in params:
            raise _invalid("setup_intent_data", "`setup_intent_data` can only be used in `setup` mode.")
        if mode == "setup" and "payment_intent_data" in params:
            raise _invalid("payment_intent_data", "`payment_intent_data` can only be used in `payment` mode.")
        if params.get("customer") and params.get("customer_email"):
            raise _invalid(
                "customer_email", "You may only specify one of these parameters: customer, customer_email."
            )
        if params.get("customer") and params.get("customer_creation"):
            raise _invalid(
                "customer_creation",
                "You may only specify one of these parameters: customer, customer_creation.",
            )
        if params.get("customer") and params["customer"] not in self.customers:
            raise _missing("customer", params["customer"])
        if params.get("ui_mode", "hosted_page") == "hosted_page" and not params.get("success_url"):
            raise _invalid(
                "success_url", "`success_url` is required for a hosted Checkout Session.", "parameter_missing"
            )
        for index, item in enumerate(_as_list(params.get("line_items", []), "line_items")):
            data = item.get("price_data")
            if "price" not in item and data is None:
                raise _invalid(
                    f"line_items[{index}]", "One of `price` or `price_data` is required.", "parameter_missing"
                )
            if data is not None and "unit_amount" not in data and "unit_amount_decimal" not in data:
                raise _invalid(
                    f"line_items[{index}][price_data][unit_amount]",
                    "One of `unit_amount` or `unit_amount_decimal` is required.",
                    "parameter_missing",
                )
            if data is not None and "product" not in data and "product_data" not in data:
                raise _invalid(
                    f"line_items[{index}][price_data][product_data]",
                    "One of `product` or `product_data` is required.",
                    "parameter_missing",
                )
        session = _session_object(_new_id("cs_test"), params, self.url, self._now())
        session["_params"] = params  # kept for completion; stripped from every answer
        self.sessions[session["id"]] = session
        return _public(session)

    def _api_get_session(self, sid: str, _params: dict[str, Any]) -> dict[str, Any]:
        if sid not in self.sessions:
            raise _missing("checkout.session", sid)
        return _public(self.sessions[sid])

    def _api_expire_session(self, sid: str, _params: dict[str, Any]) -> dict[str, Any]:
        session = self.sessions.get(sid)
        if session is None:
            raise _missing("checkout.session", sid)
        if session["status"] != "open":
            raise _invalid(
                None,
                f"Only Checkout Sessions with a status of `open` can be expired; this one is "
                f"`{session['status']}`.",
                "checkout_session_not_open",
            )
        session["status"] = "expired"
        return _public(session)

    # PaymentIntents -------------------------------------------------------------------------------

    def _api_create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = int(params["amount"])
        if amount < 1:
            raise _invalid("amount", "Amount must be at least 1.", "amount_too_small")
        confirm = params.get("confirm") == "true"
        off_session = params.get("off_session") not in (None, "false")
        if off_session and not confirm:
            raise _invalid("off_session", "`off_session` can only be used with `confirm=true`.")
        redirects = (params.get("automatic_payment_methods") or {}).get("allow_redirects")
        if confirm and not params.get("return_url") and redirects != "never":
            raise _invalid(
                "return_url",
                "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. "
                "Because some of these payment methods might redirect your customer off of your page, you "
                "must provide a `return_url`. If you don't want to accept redirect-based payment methods, "
                "set `automatic_payment_methods[enabled]` to `true` and "
                "`automatic_payment_methods[allow_redirects]` to `never`.",
                "parameter_missing",
            )
        if confirm and not params.get("payment_method"):
            raise _invalid("payment_method", "A payment method is required to confirm.", "parameter_missing")
        method = params.get("payment_method")
        customer = params.get("customer")
        stored = self.payment_methods.get(method) if method else None
        if method and stored is None and not method.startswith("pm_card_"):
            # Stripe's test methods (pm_card_visa, ...) exist everywhere; any other must have been created.
            raise _missing("payment_method", method)
        if stored is not None:
            if stored.get("customer") is None:
                raise _invalid("payment_method", "The payment method was detached and cannot be used.")
            if off_session and stored.get("customer") != customer:
                raise _invalid(
                    "payment_method",
                    "The payment method must be attached to the customer to be used off-session.",
                )
        status = "requires_confirmation"
        if confirm:
            status = self._off_session_status(method or "")
        intent = _payment_intent_object(
            amount=amount,
            currency=params["currency"],
            customer=customer,
            payment_method=method,
            metadata=params.get("metadata") or {},
            description=params.get("description"),
            status=status,
            now=self._now(),
            methods=[self._method_type(method or "")],
        )
        if status in ("authentication_required", "declined", "declined_insufficient_funds"):
            code = "authentication_required" if status == "authentication_required" else "card_declined"
            decline = {
                "declined": "generic_decline",
                "declined_insufficient_funds": "insufficient_funds",
            }.get(status)
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline,
                "message": "Your card was declined." if decline else "This payment requires authentication.",
                "param": None,
            }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {k: v for k, v in error.items() if v is not None}
            self.payment_intents[intent["id"]] = intent
            self._enqueue(_event_object("payment_intent.payment_failed", intent, self._now()))
            raise _StripeError(402, {**error, "payment_intent": _public(intent)})
        self.payment_intents[intent["id"]] = intent
        answer = _public(intent)
        if status == "processing":
            self._enqueue(_event_object("payment_intent.processing", intent, self._now()))
            for event in self._settle(intent):
                self._enqueue(event)
        elif status == "succeeded":
            self._enqueue(_event_object("payment_intent.succeeded", intent, self._now()))
        return answer

    def _settle(self, intent: dict[str, Any], session: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A bank debit settles days later at Stripe; the stand-in settles it at once, after "processing"."""
        intent.update(status="succeeded", amount_received=intent["amount"])
        events = [_event_object("payment_intent.succeeded", intent, self._now())]
        if session is not None:
            session["payment_status"] = "paid"
            events.append(
                _event_object("checkout.session.async_payment_succeeded", _public(session), self._now())
            )
        return events

    def _api_get_payment_intent(self, pid: str, _params: dict[str, Any]) -> dict[str, Any]:
        if pid not in self.payment_intents:
            raise _missing("payment_intent", pid)
        return _public(self.payment_intents[pid])

    def _api_confirm_payment_intent(self, pid: str, params: dict[str, Any]) -> dict[str, Any]:
        intent = self.payment_intents.get(pid)
        if intent is None:
            raise _missing("payment_intent", pid)
        if intent["status"] not in ("requires_confirmation", "requires_payment_method", "requires_action"):
            raise _invalid(
                None,
                f"This PaymentIntent's status is {intent['status']} and cannot be confirmed.",
                "payment_intent_unexpected_state",
            )
        method = params.get("payment_method") or intent["payment_method"] or ""
        status = self._off_session_status(method)
        if status != "succeeded" and status != "processing":
            status = "requires_payment_method"
        intent.update(
            status=status,
            payment_method=method,
            amount_received=intent["amount"] if status == "succeeded" else 0,
        )
        if status == "succeeded":
            self._enqueue(_event_object("payment_intent.succeeded", intent, self._now()))
        return _public(intent)

    @staticmethod
    def _method_type(method: str) -> str:
        stored_type = "sepa_debit" if "sepa" in method else ("klarna" if "klarna" in method else "card")
        return stored_type

    def _off_session_status(self, method: str) -> str:
        if "authenticationRequired" in method:
            return "authentication_required"
        if "chargeDeclinedInsufficientFunds" in method:
            return "declined_insufficient_funds"
        if "chargeDeclined" in method:
            return "declined"
        stored = self.payment_methods.get(method)
        method_type = stored["type"] if stored else self._method_type(method)
        return "processing" if method_type == "sepa_debit" else "succeeded"

    # SetupIntents, customers, payment methods -----------------------------------------------------

    def _api_get_setup_intent(self, sid: str, _params: dict[str, Any]) -> dict[str, Any]:
        if sid not in self.setup_intents:
            raise _missing("setup_intent", sid)
        return _public(self.setup_intents[sid])

    def _api_create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = _customer_object(_new_id("cus"), params.get("email"), self._now())
        customer["metadata"] = dict(params.get("metadata") or {})
        self.customers[customer["id"]] = customer
        return _public(customer)

    def _api_get_customer(self, cid: str, _params: dict[str, Any]) -> dict[str, Any]:
        if cid not in self.customers:
            raise _missing("customer", cid)
        return _public(self.customers[cid])

    def _api_get_payment_method(self, pmid: str, _params: dict[str, Any]) -> dict[str, Any]:
        if pmid not in self.payment_methods:
            raise _missing("payment_method", pmid)
        return _public(self.payment_methods[pmid])

    # ------------------------------------------------------------------ hosted checkout

    def checkout_page(self, sid: str) -> tuple[int, str]:
        with self._lock:
            session = self.sessions.get(sid)
            if session is None:
                return 404, _page("Not found", "<p>No such checkout session.</p>")
            if session["status"] != "open":
                return 410, _page(
                    "Closed", f"<p>This checkout session is {html.escape(session['status'])}.</p>"
                )
            methods = session["payment_method_types"]
            if session["mode"] == "payment":
                what = f"Pay {html.escape(_format_amount(session['amount_total'], session['currency']))}"
            else:
                what = "Save a payment method for automatic payments"
            options = "".join(
                f'<label><input type="radio" name="payment_method_type" value="{html.escape(m)}"'
                f"{' checked' if i == 0 else ''}> {html.escape(m)}</label><br>"
                for i, m in enumerate(methods)
            )
            cancel = html.escape(session.get("cancel_url") or "/")
            body = (
                f"<h1>{what}</h1>"
                f'<form method="post" action="/checkout/{html.escape(sid)}">{options}'
                f'<button type="submit" id="pay">{"Pay" if session["mode"] == "payment" else "Save"}</button>'
                f"</form>"
                f'<p><a id="cancel" href="{cancel}">Cancel</a></p>'
            )
            return 200, _page("Stripe Checkout (local stand-in)", body)

    def complete_checkout(self, sid: str, method_type: str | None = None) -> str:
        """Complete a session as if the customer paid (or saved a method); returns the redirect URL.

        The webhooks are delivered before returning, so the success page already sees the result.
        """
        with self._lock:
            session = self.sessions.get(sid)
            if session is None:
                raise KeyError(sid)
            success_url = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
            if session["status"] == "complete":
                return success_url
            if session["status"] != "open":
                raise ValueError(f"session {sid} is {session['status']}")
            methods = session["payment_method_types"]
            chosen = str(method_type if method_type in methods else methods[0])
            params = session["_params"]
            now = self._now()
            customer = session["customer"]
            if customer is None and (
                session["mode"] == "setup" or params.get("customer_creation") == "always"
            ):
                created = _customer_object(_new_id("cus"), session.get("customer_email"), now)
                self.customers[created["id"]] = created
                customer = created["id"]
            pm = _payment_method_object(
                _new_id(f"pm_{chosen}"), chosen, customer if session["mode"] == "setup" else None, now
            )
            self.payment_methods[pm["id"]] = pm
            events: list[dict[str, Any]] = []
            later: list[dict[str, Any]] = []
            session.update(
                status="complete",
                customer=customer,
                customer_details={
                    "address": _address(),
                    "email": session.get("customer_email"),
                    "name": None,
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
            )
            if session["mode"] == "payment":
                intent_data = params.get("payment_intent_data") or {}
                delayed = chosen == "sepa_debit"
                intent = _payment_intent_object(
                    amount=session["amount_total"],
                    currency=session["currency"],
                    customer=customer,
                    payment_method=pm["id"],
                    metadata=intent_data.get("metadata") or {},
                    description=intent_data.get("description"),
                    status="processing" if delayed else "succeeded",
                    now=now,
                    methods=[chosen],
                )
                self.payment_intents[intent["id"]] = intent
                session.update(payment_intent=intent["id"], payment_status="unpaid" if delayed else "paid")
                events.append(_event_object("checkout.session.completed", _public(session), now))
                if delayed:
                    events.append(_event_object("payment_intent.processing", intent, now))
                    later = self._settle(intent, session)
                else:
                    events.append(_event_object("payment_intent.succeeded", intent, now))
            else:
                setup_data = params.get("setup_intent_data") or {}
                mandate = _new_id("mandate") if chosen == "sepa_debit" else None
                if mandate is not None:
                    self.mandates[mandate] = _mandate_object(mandate, pm["id"], now)
                setup = _setup_intent_object(
                    customer=customer,
                    payment_method=pm["id"],
                    mandate=mandate,
                    metadata=setup_data.get("metadata") or {},
                    now=now,
                    methods=[chosen],
                )
                self.setup_intents[setup["id"]] = setup
                session.update(setup_intent=setup["id"])
                events.append(_event_object("checkout.session.completed", _public(session), now))
                events.append(_event_object("setup_intent.succeeded", setup, now))
        for event in events:
            self._deliver(event)
        for event in later:
            self._enqueue(event)
        return success_url

    # ------------------------------------------------------------------ what happens later at Stripe

    def refund(self, payment_intent_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund (part of) a succeeded payment and deliver `charge.refunded` with the cumulative amount."""
        with self._lock:
            charge = self._charge_of(payment_intent_id)
            refundable = charge["amount_captured"] - charge["amount_refunded"]
            amount = refundable if amount is None else amount
            if not 0 < amount <= refundable:
                raise ValueError(f"cannot refund {amount} of {refundable}")
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
            event = _event_object(
                "charge.refunded",
                charge,
                self._now(),
                {"amount_refunded": charge["amount_refunded"] - amount},
            )
        self._deliver(event)
        return event

    def dispute(self, payment_intent_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        """Open a dispute on a succeeded payment and deliver `charge.dispute.created`."""
        with self._lock:
            charge = self._charge_of(payment_intent_id)
            charge["disputed"] = True
            dispute = {
                "id": _new_id("dp"),
                "object": "dispute",
                "amount": charge["amount"],
                "balance_transactions": [],
                "charge": charge["id"],
                "created": self._now(),
                "currency": charge["currency"],
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": payment_intent_id,
                "reason": reason,
                "status": "needs_response",
            }
            self.disputes[dispute["id"]] = dispute
            event = _event_object("charge.dispute.created", dispute, self._now())
        self._deliver(event)
        return event

    def close_dispute(self, dispute_id: str, status: str = "won") -> dict[str, Any]:
        """Close a dispute (`won`, `lost`, `warning_closed`) and deliver `charge.dispute.closed`."""
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = status
            event = _event_object("charge.dispute.closed", dispute, self._now(), {"status": "needs_response"})
        self._deliver(event)
        return event

    def detach_payment_method(self, payment_method_id: str) -> dict[str, Any]:
        """Detach a saved method (the customer removed it at their bank or in another app)."""
        with self._lock:
            method = self.payment_methods[payment_method_id]
            previous = {"customer": method["customer"]}
            method["customer"] = None
            event = _event_object("payment_method.detached", method, self._now(), previous)
            for mandate in self.mandates.values():
                if mandate["payment_method"] == payment_method_id:
                    mandate["status"] = "inactive"
        self._deliver(event)
        return event

    def update_mandate(self, mandate_id: str, status: str) -> dict[str, Any]:
        """Change a mandate's status (`active`, `inactive`, `pending`) and deliver `mandate.updated`."""
        with self._lock:
            mandate = self.mandates[mandate_id]
            previous = {"status": mandate["status"]}
            mandate["status"] = status
            event = _event_object("mandate.updated", mandate, self._now(), previous)
        self._deliver(event)
        return event

    def redeliver(self, event_id: str) -> None:
        """Deliver an event again, re-signed with a new timestamp, as Stripe's retries do."""
        with self._lock:
            event = next(e for e in self.events if e["id"] == event_id)
        self._deliver(event)

    def _charge_of(self, payment_intent_id: str) -> dict[str, Any]:
        intent = self.payment_intents[payment_intent_id]
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise ValueError(f"payment {payment_intent_id} has not succeeded")
        charge_id = intent["latest_charge"]
        if charge_id not in self.charges:
            self.charges[charge_id] = _charge_object(charge_id, intent, self._now())
        return self.charges[charge_id]

    # ------------------------------------------------------------------ webhooks

    def send_event(
        self, event_type: str, obj: Mapping[str, Any], *, previous_attributes: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Deliver one signed event now (for tests and the demo: refunds, disputes, detaches...)."""
        event = _event_object(event_type, obj, self._now(), previous_attributes)
        self._deliver(event)
        return event

    def sign(self, payload: str, timestamp: int | None = None) -> str:
        """A Stripe-Signature header for `payload` with this stand-in's endpoint secret."""
        stamp = self._now() if timestamp is None else timestamp
        return str(
            stripe.WebhookSignature.generate_signature_header(payload, self._webhook_secret, timestamp=stamp)
        )

    def _enqueue(self, event: dict[str, Any]) -> None:
        # API-triggered events are delivered after the answer, like Stripe's asynchronous webhooks.
        self._outbox.put(event)

    def _deliver_loop(self) -> None:
        while True:
            event = self._outbox.get()
            try:
                if event is None:
                    return
                self._deliver(event)
            finally:
                self._outbox.task_done()

    def _deliver(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)
        url = self.webhook_url
        if not url:
            return
        payload = json.dumps(event)
        request = urllib.request.Request(  # noqa: S310 - a configured local http(s) URL
            url,
            data=payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": self.sign(payload),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) local-stand-in",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as err:
            status = err.code
        except (urllib.error.URLError, OSError) as err:
            logger.warning(
                "webhook delivery failed: %s %s: %s", event["type"], event["id"], type(err).__name__
            )
            status = 0
        with self._lock:
            self.deliveries.append(Delivery(event["id"], event["type"], status))


def _public(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _format_amount(amount: int | None, currency: str | None) -> str:
    major, minor = divmod(int(amount or 0), 100)
    return f"{major}.{minor:02d} {(currency or '').upper()}"


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    server_version = "stripe-fake/1"
    fake: FakeStripe  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stripe-fake %s", format % args)

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", _new_id("req"))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/checkout/"):
            status, page = self.fake.checkout_page(path.removeprefix("/checkout/"))
            self._send(status, page.encode(), "text/html; charset=utf-8")
            return
        self._api("GET", b"")

    def do_POST(self) -> None:
        body = self._body()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/checkout/"):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8")))
            try:
                target = self.fake.complete_checkout(
                    path.removeprefix("/checkout/"), form.get("payment_method_type")
                )
            except KeyError:
                self._send(404, _page("Not found", "<p>No such checkout session.</p>").encode(), "text/html")
                return
            except ValueError as err:
                self._send(410, _page("Closed", f"<p>{html.escape(str(err))}</p>").encode(), "text/html")
                return
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._api("POST", body)

    def do_DELETE(self) -> None:
        self._api("DELETE", b"")

    def _api(self, method: str, body: bytes) -> None:
        status, payload, extra = self.fake.handle_api(method, self.path, body, self._headers())
        self._send(status, payload, "application/json", extra)


def start_fake_stripe(
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
    *,
    host: str = "127.0.0.1",
    clock: Callable[[], float] = time.time,
) -> FakeStripe:
    """Serve the stand-in on `host:port` (0: any free port) in background threads; `.url` is its base URL.

    Point the gateway at it with `StripePaymentGateway("sk_test_...", api_base=fake.url)`.
    """
    fake = FakeStripe(webhook_url=webhook_url, webhook_secret=webhook_secret, clock=clock)
    handler = type("BoundHandler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    fake._server = server
    fake.url = f"http://{host}:{server.server_address[1]}"
    # A short poll interval keeps stop() (and each test teardown) quick.
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="stripe-fake-http", daemon=True
    )
    delivering = threading.Thread(target=fake._deliver_loop, name="stripe-fake-webhooks", daemon=True)
    fake._threads = [serving, delivering]
    serving.start()
    delivering.start()
    return fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Stripe stand-in")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url", default=None)
    args = parser.parse_args(argv)
    secret = os.environ.get("STRIPE_FAKE_WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET)
    fake = start_fake_stripe(args.port, args.webhook_url, secret, host=args.host)
    print(f"Stripe stand-in on {fake.url} (API version {PINNED_API_VERSION})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
