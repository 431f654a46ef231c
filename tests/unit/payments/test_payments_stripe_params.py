"""The stand-in's parameter check, against the SDK's typed parameters, without any socket.

Also pins the facts our payment-method choice rests on: the pinned API version and what its typed
parameters allow on Checkout Session, PaymentIntent and SetupIntent creation.
"""

from __future__ import annotations

import typing
import urllib.parse
from typing import Any

import pytest
import stripe
from stripe._api_version import _ApiVersion
from stripe._encode import _api_encode
from stripe.params import PaymentIntentCreateParams, SetupIntentCreateParams
from stripe.params.checkout import SessionCreateParams

from billing.adapters.stripe_gateway import STRIPE_API_VERSION
from infra.stripe_fake import ParamError, check_params, decode_form


def encoded(params: dict[str, Any]) -> dict[str, Any]:
    """Params as the SDK puts them on the wire, decoded by the stand-in."""
    wire = urllib.parse.urlencode(list(_api_encode(params)))
    return decode_form(urllib.parse.parse_qsl(wire, keep_blank_values=True))


def good_session() -> dict[str, Any]:
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "sek",
                    "unit_amount": 12500,
                    "product_data": {"name": "Invoice 1"},
                },
            }
        ],
        "allowed_payment_method_types": ["card", "klarna", "swish"],
        "success_url": "https://pay.example/inv_1?paid=1",
        "cancel_url": "https://pay.example/inv_1",
        "metadata": {"invoice_id": "inv_1", "anything": "goes"},
        "payment_intent_data": {"metadata": {"invoice_id": "inv_1"}, "description": "Invoice 1"},
        "payment_method_options": {"swish": {"reference": "inv_1"}},
        "expand": ["payment_intent"],
    }


def test_the_gateway_pins_the_sdks_own_api_version() -> None:
    # Given the SDK installed, Then our pinned version is the one its typed params describe
    assert STRIPE_API_VERSION == _ApiVersion.CURRENT == stripe.api_version


@pytest.mark.parametrize(
    "params_type", [SessionCreateParams, PaymentIntentCreateParams, SetupIntentCreateParams]
)
def test_the_pinned_version_replaced_payment_method_types_by_allowed_payment_method_types(
    params_type,
) -> None:
    # Given the typed creation params of the pinned version
    keys = set(
        typing.get_type_hints(
            params_type,
            localns={"StripeContext": object, "Mapping": typing.Mapping, "Optional": typing.Optional},
        )
    )
    # Then payment_method_types is gone and allowed_payment_method_types is what selects methods
    assert "payment_method_types" not in keys
    assert {"allowed_payment_method_types", "excluded_payment_method_types"} <= keys


def test_a_correct_session_passes() -> None:
    # Given what the gateway sends, as encoded by the SDK, When checked, Then nothing is raised
    check_params(encoded(good_session()), SessionCreateParams)


@pytest.mark.parametrize(
    ("change", "param", "code"),
    [
        (lambda p: p.update(payment_method_types=["card"]), "payment_method_types", "parameter_unknown"),
        (lambda p: p.update(mode="pay"), "mode", "parameter_invalid"),
        (
            lambda p: p["allowed_payment_method_types"].append("swishh"),
            "allowed_payment_method_types[3]",
            "parameter_invalid",
        ),
        (
            lambda p: p["line_items"][0]["price_data"].pop("currency"),
            "line_items[0][price_data][currency]",
            "parameter_missing",
        ),
        (
            lambda p: p["line_items"][0]["price_data"].update(unit_amount="12.50"),
            "line_items[0][price_data][unit_amount]",
            "parameter_invalid_integer",
        ),
        (lambda p: p["line_items"][0].update(amount=5), "line_items[0][amount]", "parameter_unknown"),
        (
            lambda p: p["payment_method_options"].update(swish={"ref": "x"}),
            "payment_method_options[swish][ref]",
            "parameter_unknown",
        ),
        (
            lambda p: p["payment_method_options"].update(klarna={"setup_future_usage": "off_session"}),
            "payment_method_options[klarna][setup_future_usage]",
            "parameter_invalid",
        ),
        (lambda p: p.update(success_url={"a": "b"}), "success_url", "parameter_invalid"),
        (lambda p: p.update(expand="payment_intent"), "expand", "parameter_invalid"),
        (lambda p: p["metadata"].update(nested={"b": "x"}), "metadata[nested]", "parameter_invalid"),
    ],
    ids=[
        "payment_method_types",
        "mode-literal",
        "method-literal",
        "missing-nested",
        "not-integer",
        "unknown-nested",
        "unknown-deep",
        "literal-deep",
        "object-for-string",
        "value-for-list",
        "nested-metadata",
    ],
)
def test_a_wrongly_built_session_is_refused_naming_the_param(change, param: str, code: str) -> None:
    # Given a correct session with one mistake
    params = good_session()
    change(params)
    # When checked
    with pytest.raises(ParamError) as err:
        check_params(encoded(params), SessionCreateParams)
    # Then the refusal names the parameter as Stripe would
    assert (err.value.param, err.value.code) == (param, code)


def test_an_off_session_charge_passes_and_a_wrong_one_does_not() -> None:
    # Given the gateway's off-session charge, When checked, Then it passes
    charge = {
        "amount": 5000,
        "currency": "eur",
        "customer": "cus_1",
        "payment_method": "pm_1",
        "confirm": True,
        "off_session": True,
        "metadata": {"invoice_id": "inv_1"},
    }
    check_params(encoded(charge), PaymentIntentCreateParams)
    # And without the required amount, or with a wrong off_session literal, it is refused
    with pytest.raises(ParamError, match="amount"):
        check_params(encoded({k: v for k, v in charge.items() if k != "amount"}), PaymentIntentCreateParams)
    with pytest.raises(ParamError) as err:
        check_params(encoded(charge | {"off_session": "sometimes"}), PaymentIntentCreateParams)
    assert err.value.param == "off_session"


def test_an_empty_string_unsets_where_the_sdk_allows_it() -> None:
    # Given `Literal[''] | str` fields (free strings, '' unsets), When checked, Then any string passes
    check_params(
        encoded({"branding_settings": {"background_color": "#ffffff", "button_color": ""}}),
        SessionCreateParams,
    )


@pytest.mark.parametrize(
    "pairs",
    [[("a[0]", "x"), ("a[0]", "y")], [("a", "x"), ("a[b]", "y")], [("a[]", "x")], [("[a]", "x")]],
    ids=["duplicate", "value-and-object", "empty-index", "no-name"],
)
def test_ambiguous_form_encodings_are_refused(pairs) -> None:
    # Given form pairs no SDK would produce, When decoded, Then they are refused
    with pytest.raises(ParamError):
        decode_form(pairs)


def test_lists_must_be_indexed_from_zero_without_gaps() -> None:
    # Given a list with a gap, When checked, Then it is refused
    params = decode_form([("expand[0]", "a"), ("expand[2]", "b"), ("mode", "payment")])
    with pytest.raises(ParamError) as err:
        check_params(params, SessionCreateParams)
    assert err.value.param == "expand"
