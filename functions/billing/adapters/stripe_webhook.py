"""Verifying a Stripe webhook delivery: Stripe's signature scheme, timestamp in both directions, bounded JSON.

The webhook handler passes the raw body (exactly the bytes received, before any decoding or JSON
parsing), the `Stripe-Signature` header and the tenant's endpoint secret. The HMAC is Stripe's scheme,
computed over the raw bytes (the SDK's check decodes the body first, which a body that is not UTF-8
turns into a crash); the SDK's own age check only refuses old timestamps and reads the system clock, so
the window is enforced here in both directions against an injected clock. The result is the event as
a plain dict, ready for `billing.adapters.stripe_event_reader.to_domain_event`.

Every refusal is a `WebhookRejected` subclass (permanent: answer 400, do not process, never retry).
Neither the secret nor the body is ever put in an exception message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe

from billing.domain.bounded_json import JsonTooDeep, loads_bounded
from billing.services.errors import PermanentError

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookRejected(PermanentError):
    """A webhook delivery we refuse to process."""


class WebhookSignatureInvalid(WebhookRejected):
    """The signature does not match the body and the endpoint secret: forged, altered or misconfigured."""


class WebhookTimestampStale(WebhookRejected):
    """Signed too long ago: possibly a replay of a captured delivery."""


class WebhookTimestampInFuture(WebhookRejected):
    """Signed too far in the future: a clock problem or a forged timestamp."""


class WebhookMalformed(WebhookRejected):
    """No usable signature header, or a body that is not a Stripe event."""


def _now() -> datetime:
    return datetime.now(UTC)


class StripeWebhookVerifier:
    """Checks one delivery against one endpoint secret.

    `clock` returns an aware datetime; tests inject a fixed one. `tolerance_seconds` bounds the distance
    between the signed timestamp and now, in the past and in the future alike.
    """

    def __init__(
        self,
        endpoint_secret: str,
        *,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if not endpoint_secret or not endpoint_secret.strip():
            raise PermanentError("the webhook endpoint secret is empty", field="endpoint_secret")
        if tolerance_seconds <= 0:
            raise PermanentError("must be positive", field="tolerance_seconds")
        self._secret = endpoint_secret
        self._tolerance = tolerance_seconds
        self._clock = clock

    def __repr__(self) -> str:
        # Never show the secret, even in a traceback's locals.
        return f"StripeWebhookVerifier(tolerance_seconds={self._tolerance})"

    def verify(self, raw_body: bytes | str, signature_header: str | None) -> dict[str, Any]:
        """The verified event as a plain dict, or a `WebhookRejected` subclass saying why not.

        Order matters: the header is parsed and the HMAC checked over the raw bytes before the body is
        decoded or parsed at all, so an unauthenticated caller can make us do no more than one HMAC;
        only a signed body is then decoded as UTF-8 and parsed, within bounds (size, nesting, digits)."""
        raw = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
        if not signature_header:
            raise WebhookMalformed("no Stripe-Signature header", field="Stripe-Signature")
        timestamp, signatures = _parse_header(signature_header)
        if len(raw) > MAX_BODY_BYTES:
            raise WebhookMalformed(f"body larger than {MAX_BODY_BYTES} bytes", field="body", code="too_large")
        # Stripe's scheme (the SDK's verify_header does the same, but decodes the body first and so
        # fails on bytes that are not UTF-8): HMAC-SHA256 of "<t>." + the raw body, compared with every
        # v1 signature in constant time (secret rotation sends two).
        expected = hmac.new(
            self._secret.encode("utf-8"), b"%d." % timestamp + raw, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, signature) for signature in signatures):
            raise WebhookSignatureInvalid(
                "signature does not match", field="Stripe-Signature", code="signature_invalid"
            )
        now = self._clock().timestamp()
        if timestamp < now - self._tolerance:
            raise WebhookTimestampStale(
                f"signed {int(now - timestamp)} s ago, more than {self._tolerance} s",
                field="Stripe-Signature",
                code="timestamp_stale",
            )
        if timestamp > now + self._tolerance:
            raise WebhookTimestampInFuture(
                f"signed {int(timestamp - now)} s in the future, more than {self._tolerance} s",
                field="Stripe-Signature",
                code="timestamp_future",
            )
        event = parse_bounded_json(raw)
        if not isinstance(event, dict) or event.get("object") != "event":
            raise WebhookMalformed("body is not a Stripe event", field="body")
        event_id, event_type = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise WebhookMalformed("event has no id or type", field="body")
        if not _ID.fullmatch(event_id) or not 0 < len(event_type) <= 100:
            raise WebhookMalformed("event id or type is not Stripe's", field="body")
        return event


# What one Stripe event can be: a few KB, nested a handful of levels, no number beyond 64 bits. The
# bounds refuse what would otherwise overflow a datetime, a DynamoDB number or the parser's stack.
MAX_BODY_BYTES = 192 * 1024  # an SQS message holds 256 KiB, with our envelope
MAX_DEPTH = 32
MAX_INT_DIGITS = 20
_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _parse_header(header: str) -> tuple[int, list[str]]:
    """The single `t=` value and every well-formed `v1=` signature of the header."""
    if len(header) > 2048:
        raise WebhookMalformed("Stripe-Signature header too long", field="Stripe-Signature")
    stamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "t":
            stamps.append(value)
        elif key == "v1" and _HEX64.fullmatch(value):
            signatures.append(value)
    # isdecimal() alone accepts other scripts' digits ("٣"), and int() of "²" raises: ASCII only.
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()) or len(stamps[0]) > 12:
        raise WebhookMalformed("no single timestamp in Stripe-Signature", field="Stripe-Signature")
    if not signatures:
        raise WebhookSignatureInvalid(
            "no v1 signature in Stripe-Signature", field="Stripe-Signature", code="signature_invalid"
        )
    return int(stamps[0]), signatures


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise WebhookMalformed("a number in the body is too large", field="body", code="number_too_large")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise WebhookMalformed("a number in the body is not finite", field="body", code="number_too_large")
    return value


def _no_constant(text: str) -> Any:
    raise WebhookMalformed(f"{text} is not JSON", field="body")


def parse_bounded_json(raw: bytes) -> Any:
    """JSON from bytes that must be UTF-8, with integers of at most 20 digits, finite floats and at
    most 32 levels of nesting (billing.domain.bounded_json); anything else is `WebhookMalformed` (a
    400), never a crash."""
    try:
        return loads_bounded(
            raw.decode("utf-8"),
            max_depth=MAX_DEPTH,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError:
        raise WebhookMalformed("body is not UTF-8", field="body") from None
    except JsonTooDeep:
        raise WebhookMalformed(f"body nested deeper than {MAX_DEPTH}", field="body") from None
    except ValueError:
        raise WebhookMalformed("body is not JSON", field="body") from None


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` header for `payload`, by the SDK's own scheme (used by the local stand-in
    and by tests: we sign real payloads rather than mock the check)."""
    return str(stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp))
