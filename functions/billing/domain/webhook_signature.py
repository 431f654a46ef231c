"""The Standard Webhooks signature (standardwebhooks.com): what the merchant's endpoint checks.

Headers `webhook-id` (the event's id: the same on every retry, so the receiver de-duplicates on it),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`:
`v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is the base64 after the
secret's `whsec_` prefix. A receiver refuses a timestamp more than five minutes from its clock (a
replayed delivery) and an id it has seen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """The delivery is not one the secret's holder signed now: bad signature, stale or future time."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise SignatureError("a webhook secret starts with whsec_")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise SignatureError("a webhook secret is whsec_ and base64") from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, msg_id: str, timestamp: str, signature_header: str, body: bytes, now: int) -> None:
    """Raise SignatureError unless one of the header's `v1,` signatures is ours and the timestamp is
    within the tolerance of `now` (both directions)."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a number") from None
    if abs(now - sent) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, sent, body).encode()
    for candidate in signature_header.split(" "):
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureError("no webhook-signature matches")
