"""The one error hierarchy the use cases and handlers act on.

Handlers decide what to do with a failure by its class alone: a `RetryableError` is raised again so
the queue redelivers (and after the last attempt it lands in the DLQ); a `PermanentError` is recorded,
counted and acknowledged, because trying again would fail the same way. Adapters translate their SDK's
exceptions into these, so no handler ever needs to know which provider failed.
"""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
    """Base of every error this package raises on purpose.

    `field` names the input at fault when there is one; `code` is a short machine-readable reason
    (often the provider's own code, e.g. Stripe's `parameter_unknown`) for logs and metrics.
    """

    def __init__(self, reason: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(reason if field is None else f"{field}: {reason}")
        self.reason = reason
        self.field = field
        self.code = code


class RetryableError(BillingError):
    """Trying again later may succeed: throttling, a provider outage, a network failure."""


class PermanentError(BillingError):
    """Trying again will fail the same way: invalid input, a refused request, a missing configuration."""


class PaymentProviderUnavailable(RetryableError):
    """The payment provider could not be reached or answered with a server error or a rate limit."""


class PaymentRequestRejected(PermanentError):
    """The payment provider refused a request as malformed or not allowed (our bug or our configuration)."""


class PaymentIdempotencyConflict(PermanentError):
    """An idempotency key was reused with different parameters: the same attempt was built two ways."""


class LimitReached(PermanentError):
    """A page visitor did something more often than the invoice allows (per link, per day or in all):
    answered 429, nothing stored. Trying again later (the next day) may succeed; at once, it will not."""


class ItemTooLarge(PermanentError):
    """A write would take a stored item past DynamoDB's 400 KB limit. Nothing a visitor does can grow an
    item, so this is a bug or an attack we did not foresee: counted (metric ItemTooLarge, alarmed) and
    refused by name instead of surfacing as an anonymous 500."""


def failure_note(item_id: str, exc: BaseException) -> str:
    """One line for a run summary: which item failed and how, without its data (the error's own text
    is cut short: a long message is a dump, not a reason)."""
    reason = str(exc).replace("\n", " ")
    return f"{item_id}: {type(exc).__name__}: {reason[:200]}"


# The invoice page's refusals, here rather than beside their use cases so a handler can catch them
# without importing the use case (and its models) at a cold start.
class InvoiceNotFound(PermanentError):
    """No invoice has this page token (a mistyped or forged link)."""


class NoAutopay(PermanentError):
    """Nothing to stop: this invoice is not paid automatically (or no longer)."""


class SwitchRefused(PermanentError):
    """The switch was not made: the page was made for a subscription or a price that has changed."""


def validation_errors(errors: Any) -> list[tuple[str, str]]:
    """(field, reason) per pydantic error (its `errors()` dicts), named as the caller wrote it: a body
    field by its path (`address.1`), a query parameter or header by its name."""
    named: list[tuple[str, str]] = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        where = loc[0] if loc else "body"
        rest = loc[1:]
        if error.get("type") == "json_invalid":
            field = "body"  # its loc is the character position, not a field
        elif where == "header" and rest:
            field = "-".join(w.capitalize() for w in rest[0].split("-"))
        elif where in ("body", "query", "path") and rest:
            field = ".".join(rest)
        else:
            field = ".".join(loc) or "body"
        message = str(error.get("msg", "invalid"))
        named.append((field, message.removeprefix("Value error, ")))
    return named


# Stored settings documents are written by people: the reason is said in their words, not pydantic's.
_DOCUMENT_REASONS = {
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "string_type": "must be a text",
    "missing": "is required",
    "extra_forbidden": "unknown key",
}


def document_refusal(errors: Any) -> tuple[str, str]:
    """(field, reason) of the first pydantic error in a stored settings document, the field as a path
    into the document the merchant wrote (`offers[0].url`, `steps[1].tone`)."""
    error = errors[0]
    field = ""
    for part in error.get("loc", ()):
        field += f"[{part}]" if isinstance(part, int) else f".{part}" if field else str(part)
    if error.get("type") == "enum":
        reason = f"must be one of {error['ctx']['expected']}"
    else:
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        reason = _DOCUMENT_REASONS.get(str(error.get("type")), message)
    return field, reason
