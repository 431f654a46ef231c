"""What every public HTTP handler does the same way: read a request body safely, and answer HTML with
the security headers a page served from the API needs (CloudFront adds them to the invoice pages; the
API's own HTML answers, such as the relief and Autogiro forms, carry them here).

A body is refused before it is parsed when it is larger than the route allows or is not UTF-8: both
come back as a 4xx that names the field, never as a 5xx (docs/privacy.md, "Abuse and limits").
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs

from billing.services.errors import PermanentError

MAX_FORM_BYTES = 16 * 1024  # a page form is a few fields; anything larger is not one of ours
MAX_FORM_FIELDS = 20
MAX_ECHO = 64  # characters of a visitor's own value shown back to them on a refused form


class BodyRefused(PermanentError):
    """The body is too large or not text: `status` is 413 or 400."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason, field="body", code="body_too_large" if status == 413 else "body_not_utf8")
        self.status = status


def raw_body(event: dict[str, Any], limit: int) -> bytes:
    """The request body as bytes (API Gateway base64-encodes binary bodies), at most `limit` bytes."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(body) > (limit * 4) // 3 + 4:
            raise BodyRefused(f"at most {limit} bytes", 413)
        try:
            data = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise BodyRefused("the body is not valid base64", 400) from exc
    else:
        data = body.encode("utf-8", "surrogatepass")
    if len(data) > limit:
        raise BodyRefused(f"at most {limit} bytes", 413)
    return data


def text_body(event: dict[str, Any], limit: int) -> str:
    try:
        return raw_body(event, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused("the body must be UTF-8 text", 400) from exc


def form_fields(event: dict[str, Any], limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each), refusing bodies that are not one."""
    text = text_body(event, limit)
    try:
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except ValueError as exc:  # too many fields, or percent-escapes that are not UTF-8
        raise BodyRefused("the body is not a form of UTF-8 text", 400) from exc
    return {k: v[0] for k, v in parsed.items()}


def bearer_key(headers: dict[str, str]) -> str | None:
    """The key of an `Authorization: Bearer <key>` header (header names in lower case), else None."""
    scheme, _, key = (headers.get("authorization") or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def echoed(value: str | None, limit: int = MAX_ECHO) -> str:
    """A visitor's value shown back on a refused form: cut short, so an answer never carries a large
    input back out (and with it past Lambda's response limit)."""
    return (value or "")[:limit]


def html_headers(*form_targets: str) -> dict[str, str]:
    """Security headers for an HTML answer from the API: no script, no framing, no sniffing, no referrer,
    forms only to `form_targets` and the page itself. Pass the API and the pages origin: Chromium
    applies form-action to the redirect after the post too (back to the invoice page)."""
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
        f"form-action 'self' {' '.join(form_targets)}; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
