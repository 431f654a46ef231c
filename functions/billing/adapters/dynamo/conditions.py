"""DynamoDB's answer to a conditional write: the condition did not hold (not a failure: the caller
reads again, or the write was done already), or the write failed; and which items cancelled a
transaction."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from billing.services.errors import RetryableError

CONDITION_FAILED = "ConditionalCheckFailedException"


def condition_failed(exc: BaseException) -> bool:
    """Whether DynamoDB refused the write because its condition did not hold."""
    return getattr(exc, "cause_response_code", None) == CONDITION_FAILED


def written(write: Callable[[], object], failing: str | None = None) -> bool:
    """Make one conditional write: True when it went through, False when its condition did not hold.
    Any other failure is raised: as a RetryableError saying what `failing` was, or as it came."""
    try:
        write()
    except (PutError, UpdateError, DeleteError) as exc:
        if condition_failed(exc):
            return False
        if failing is None:
            raise
        raise RetryableError(f"{failing} failed: {exc}") from exc
    return True


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Each item's code in a cancelled transaction, in the transaction's order: None for an item that
    did not cancel it (PynamoDB reads DynamoDB's "None" as no reason)."""
    return [None if reason is None else reason.code for reason in exc.cancellation_reasons or []]


def cancelled_by(exc: TransactWriteError) -> set[str]:
    """The codes of the items that cancelled the transaction ("ConditionalCheckFailed", ...)."""
    return {code for code in cancellation_codes(exc) if code is not None}
