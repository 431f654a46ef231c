"""RFC 9457 problem details (`application/problem+json`) for the merchant API.

Every error names what was wrong: `field` is the first field at fault (a body field by its name, a
query parameter, or the header `Idempotency-Key`), and `errors` lists every one found. `type` is a
URN per kind of problem (docs/api.md lists them); `instance` is the request path.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: ("validation", "The request is not valid"),
    401: ("unauthorized", "A valid API key is required"),
    403: ("forbidden", "This key may not do that"),
    404: ("not-found", "No such resource"),
    409: ("conflict", "The request conflicts with the current state"),
    413: ("too-large", "The request is too large"),
    415: ("unsupported-media-type", "The body must be JSON"),
    422: ("idempotency-key-reused", "The Idempotency-Key was used with another request"),
}


class FieldError(BaseModel):
    field: str
    detail: str


class Problem(BaseModel):
    """What every error answer carries (RFC 9457), with the fields at fault."""

    type: str = Field(description="urn:billing:problem:<kind>")
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = Field(None, description="the first field at fault")
    errors: list[FieldError] = Field(default_factory=list)


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    field: str | None = None,
    errors: list[tuple[str, str]] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    default_kind, title = TITLES.get(status, ("error", "The request failed"))
    found = errors if errors is not None else ([(field, detail)] if field else [])
    return Problem(
        type=f"urn:billing:problem:{kind or default_kind}",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        field=field if field is not None else (found[0][0] if found else None),
        errors=[FieldError(field=f, detail=d) for f, d in found],
    ).model_dump()


def problem_event_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A problem as an HTTP API (payload 2.0) answer, for errors found before the resolver runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_JSON, **(headers or {})},
        "body": json.dumps(body),
    }
