"""Verifying a Stripe webhook delivery: signature by the SDK, timestamp in both directions by us.

The webhook handler passes the raw body (exactly the bytes received, before any JSON parsing), the
`Stripe-Signature` header and the tenant's endpoint secret. The SDK checks the HMAC; the SDK's own age
check only refuses old timestamps and reads the system clock, so the window is enforced here in both
directions against an injected clock. The result is the event as a plain dict, ready for
`billing.domain.payments.to_domain_event`.

Every refusal is a `WebhookRejected` subclass (permanent: answer 400, do not process, never retry).
Neither the secret nor the body is ever put in an exception message or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe

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
        """The verified event as a plain dict, or a `WebhookRejected` subclass saying why not."""
        if not signature_header:
            raise WebhookMalformed("no Stripe-Signature header", field="Stripe-Signature")
        timestamp = _signed_timestamp(signature_header)
        try:
            # tolerance=None: the SDK checks only the HMAC; the time window is ours, below.
            stripe.WebhookSignature.verify_header(raw_body, signature_header, self._secret, tolerance=None)
        except stripe.SignatureVerificationError:
            raise WebhookSignatureInvalid(
                "signature does not match", field="Stripe-Signature", code="signature_invalid"
            ) from None
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
        try:
            event = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookMalformed("body is not JSON", field="body") from None
        if not isinstance(event, dict) or event.get("object") != "event":
            raise WebhookMalformed("body is not a Stripe event", field="body")
        if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
            raise WebhookMalformed("event has no id or type", field="body")
        return event


def _signed_timestamp(header: str) -> int:
    """The `t=` value of the header; the SDK parses it too but does not expose it."""
    values = [part.split("=", 1) for part in header.split(",")]
    stamps = [kv[1] for kv in values if len(kv) == 2 and kv[0].strip() == "t"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit():
        raise WebhookMalformed("no single timestamp in Stripe-Signature", field="Stripe-Signature")
    return int(stamps[0])


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` header for `payload`, by the SDK's own scheme (used by the local stand-in
    and by tests: we sign real payloads rather than mock the check)."""
    return str(stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp))
