"""Webhook verification: payloads signed with Stripe's real scheme, checked by the SDK and our clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta

import pytest
from payments_builders import T0, checkout_session, stripe_event

from billing.adapters.stripe_event_reader import to_domain_event
from billing.adapters.stripe_webhook import (
    StripeWebhookVerifier,
    WebhookMalformed,
    WebhookRejected,
    WebhookSignatureInvalid,
    WebhookTimestampInFuture,
    WebhookTimestampStale,
    sign_payload,
)
from billing.domain.payments import IgnoredEvent, PaymentSucceeded
from billing.services.errors import PermanentError

SECRET = "whsec_test_" + "b" * 32
NOW = int(T0.timestamp())


def verifier(now_offset: int = 0) -> StripeWebhookVerifier:
    return StripeWebhookVerifier(SECRET, clock=lambda: T0 + timedelta(seconds=now_offset))


def signed(event: dict, *, secret: str = SECRET, timestamp: int = NOW) -> tuple[bytes, str]:
    body = json.dumps(event)
    return body.encode(), sign_payload(body, secret, timestamp)


def by_hand(body: bytes, secret: str, timestamp: int) -> str:
    """Stripe's documented scheme, written out independently of the SDK."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def test_a_valid_delivery_returns_the_event_as_a_plain_dict() -> None:
    # Given a paid-session event signed with the endpoint secret
    event = stripe_event("checkout.session.completed", checkout_session(), event_id="evt_ok")
    body, header = signed(event)
    # When verified
    verified = verifier().verify(body, header)
    # Then it is the body as a dict, ready for the domain
    assert verified == event and type(verified) is dict
    assert isinstance(to_domain_event(verified), PaymentSucceeded)


def test_our_signing_helper_matches_stripes_documented_scheme() -> None:
    # Given a body, When signed by the helper and by hand, Then the headers are identical
    body = b'{"id":"evt_1","object":"event","type":"x"}'
    assert sign_payload(body.decode(), SECRET, NOW) == by_hand(body, SECRET, NOW)
    # And a hand-signed delivery verifies
    assert verifier().verify(body, by_hand(body, SECRET, NOW))["id"] == "evt_1"


def test_a_rotated_secret_header_with_several_signatures_verifies_if_one_matches() -> None:
    # Given a header carrying an old-secret signature and a current one (Stripe does this on rotation)
    body, header = signed(stripe_event("plan.created", {}))
    old = by_hand(body, "whsec_old", NOW).split(",")[1]
    # When verified, Then the matching one suffices
    assert verifier().verify(body, f"{header},{old}")["type"] == "plan.created"


@pytest.mark.parametrize(
    "forge",
    [
        lambda body, header: (body, sign_payload(body.decode(), "whsec_attacker", NOW)),
        lambda body, header: (body.replace(b"12500", b"99999"), header),
        lambda body, header: (body, header.replace("v1=", "v0=")),
    ],
    ids=["other-secret", "altered-body", "wrong-scheme"],
)
def test_forged_deliveries_are_refused(forge) -> None:
    # Given a genuine delivery, then forged
    body, header = forge(*signed(stripe_event("checkout.session.completed", checkout_session())))
    # When verified, Then it is refused as a signature problem
    with pytest.raises(WebhookSignatureInvalid):
        verifier().verify(body, header)


@pytest.mark.parametrize(
    ("offset", "error"), [(301, WebhookTimestampStale), (-301, WebhookTimestampInFuture)]
)
def test_timestamps_too_far_in_the_past_or_future_are_refused(offset: int, error: type) -> None:
    # Given a genuine delivery signed at NOW, and a clock 301 s later (stale) or earlier (future)
    body, header = signed(stripe_event("plan.created", {}))
    # When verified, Then it is refused in both directions
    with pytest.raises(error):
        verifier(now_offset=offset).verify(body, header)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_timestamps_within_the_window_are_accepted(offset: int) -> None:
    # Given a delivery exactly at the edge of the window, When verified, Then it is accepted
    body, header = signed(stripe_event("plan.created", {}))
    assert verifier(now_offset=offset).verify(body, header)["id"] == "evt_1"


@pytest.mark.parametrize(
    ("body", "header"),
    [
        (b"{}", None),
        (b"{}", ""),
        (b"{}", "v1=abc"),
        (b"{}", "t=notanumber,v1=abc"),
        (b"{}", "t=1,t=2,v1=abc"),
    ],
    ids=["no-header", "empty-header", "no-timestamp", "bad-timestamp", "two-timestamps"],
)
def test_malformed_headers_are_refused(body: bytes, header: str | None) -> None:
    # Given a delivery without a usable header, When verified, Then it is malformed
    with pytest.raises(WebhookMalformed):
        verifier().verify(body, header)


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'{"object": "plan"}', b'{"object": "event", "id": 5, "type": "x"}'],
    ids=["not-json", "not-object", "not-event", "no-id"],
)
def test_signed_bodies_that_are_not_stripe_events_are_refused(raw: bytes) -> None:
    # Given a correctly signed body that is not an event, When verified, Then it is malformed
    with pytest.raises(WebhookMalformed):
        verifier().verify(raw, sign_payload(raw.decode(), SECRET, NOW))


def test_an_unknown_type_verifies_and_is_ignored_by_the_domain() -> None:
    # Given a genuine event of a type we do not handle, When verified and mapped, Then it is ignored
    body, header = signed(stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert isinstance(to_domain_event(verifier().verify(body, header)), IgnoredEvent)


def test_a_duplicate_delivery_verifies_to_the_same_event_id() -> None:
    # Given the same event delivered twice (Stripe re-signs each delivery with a new timestamp)
    event = stripe_event("checkout.session.completed", checkout_session(), event_id="evt_dup")
    first, second = signed(event, timestamp=NOW), signed(event, timestamp=NOW + 60)
    # When both are verified, Then both carry the same event id: the key for processing once
    assert verifier(60).verify(*first)["id"] == verifier(60).verify(*second)["id"] == "evt_dup"


def test_refusals_are_permanent_and_never_show_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    # Given logging at DEBUG and several refused deliveries
    caplog.set_level(logging.DEBUG)
    body, header = signed(stripe_event("plan.created", {}), secret="whsec_attacker")
    messages = []
    for check in (lambda: verifier().verify(body, header), lambda: verifier(999).verify(*signed({"a": 1}))):
        with pytest.raises(WebhookRejected) as err:
            check()
        # Then each is a PermanentError (answer 400, never retry) and says nothing secret
        assert isinstance(err.value, PermanentError)
        messages.append(str(err.value))
    text = " ".join(messages) + caplog.text + repr(verifier())
    assert SECRET not in text and "whsec_attacker" not in text


def test_an_empty_secret_is_a_configuration_error() -> None:
    # Given no endpoint secret, When a verifier is built, Then it is refused by name
    with pytest.raises(PermanentError) as err:
        StripeWebhookVerifier("  ")
    assert err.value.field == "endpoint_secret"


# Bytes that are not what a Stripe event is: each refused by name, never an exception of another kind


def test_a_body_that_is_not_utf8_is_refused_unsigned_and_signed() -> None:
    body = b'{"id": "evt_1", "object": "event", "type": "x", "n": "\xff"}'
    # Unsigned (a forged signature): refused on the HMAC, before the body is decoded at all
    with pytest.raises(WebhookSignatureInvalid):
        verifier().verify(body, f"t={NOW},v1={'0' * 64}")
    # Signed: refused as not UTF-8
    with pytest.raises(WebhookMalformed) as err:
        verifier().verify(body, by_hand(body, SECRET, NOW))
    assert "UTF-8" in err.value.reason


@pytest.mark.parametrize(
    "header",
    [
        f"t=²,v1={'0' * 64}",
        f"t=١٢٣,v1={'0' * 64}",
        f"t={'9' * 40},v1={'0' * 64}",
        "t=1,t=2,v1=00",
        "v1=",
        "t=5,v0=ab",
    ],
)
def test_a_signature_header_that_is_not_stripes_is_refused(header: str) -> None:
    with pytest.raises(WebhookRejected):
        verifier().verify(b"{}", header)


def _signed_text(text: str) -> tuple[bytes, str]:
    body = text.encode()
    return body, by_hand(body, SECRET, NOW)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('{"id": "evt_1", "object": "event", "type": "x", "d": ' + "[" * 50_000 + "]" * 50_000 + "}", None),
        ('{"id": "evt_1", "object": "event", "type": "x", "d": ' + "[" * 40 + "]" * 40 + "}", None),
        ('{"id": "evt_1", "object": "event", "type": "x", "created": ' + "9" * 31 + "}", "number_too_large"),
        ('{"id": "evt_1", "object": "event", "type": "x", "amount": 1e999}', "number_too_large"),
        ('{"id": "evt_1", "object": "event", "type": "x", "amount": NaN}', None),
        ('{"id": "evt_1", "object": "event", "type": "x", "pad": "' + "a" * 200_000 + '"}', "too_large"),
        ('{"id": "../etc", "object": "event", "type": "x"}', None),
    ],
    ids=["deep", "depth-40", "huge-int", "infinite", "nan", "oversize", "bad-id"],
)
def test_a_signed_body_beyond_what_an_event_can_be_is_malformed(text: str, code: str | None) -> None:
    body, header = _signed_text(text)
    with pytest.raises(WebhookMalformed) as err:
        verifier().verify(body, header)
    if code:
        assert err.value.code == code
