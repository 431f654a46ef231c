"""DynamoDB's answer to a conditional write: the condition did not hold (not a failure: the caller
reads again, or the write was done already), or the write failed; and which items cancelled a
transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

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
    """Each item's code in a cancelled transaction, in the order the request listed them: None for an
    item that did not cancel it (PynamoDB reads DynamoDB's "None" as no reason). That order is not the
    order the items were added in (see `Transaction`): for codes by place, use `codes_as_added`."""
    return [None if reason is None else reason.code for reason in exc.cancellation_reasons or []]


# PynamoDB sends a transaction's items grouped by kind, whatever order they were added in
# (pynamodb.connection.base.Connection.transact_write_items): condition checks, deletes, puts, updates.
# DynamoDB answers a cancellation reason per item in the order sent.
_SENT_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}


def _added_as(kind: str, add: Callable[..., None]) -> Callable[..., None]:
    def adding(self: Transaction, *args: Any, **kwargs: Any) -> None:
        self.added.append(kind)
        add(self, *args, **kwargs)

    return adding


class Transaction(TransactWrite):
    """A TransactWrite that remembers the order its items were added in, so that a cancellation's codes
    can be read by the place the code gave each item (`codes_as_added`). A put added after an update is
    sent before it: reading DynamoDB's reasons by the order of the `tx.` calls reads another item's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.added: list[str] = []

    condition_check = _added_as("check", TransactWrite.condition_check)
    delete = _added_as("delete", TransactWrite.delete)
    save = _added_as("put", TransactWrite.save)
    update = _added_as("update", TransactWrite.update)


def codes_as_added(exc: TransactWriteError, tx: Transaction) -> list[str | None]:
    """Each item's code in a cancelled transaction, in the order the items were added to `tx`."""
    codes = cancellation_codes(exc)
    if len(codes) != len(tx.added):
        return codes  # not this transaction's answer (none given): no place to read
    sent = sorted(range(len(tx.added)), key=lambda i: (_SENT_ORDER[tx.added[i]], i))
    placed: list[str | None] = [None] * len(codes)
    for position, index in enumerate(sent):
        placed[index] = codes[position]
    return placed


def cancelled_by(exc: TransactWriteError) -> set[str]:
    """The codes of the items that cancelled the transaction ("ConditionalCheckFailed", ...)."""
    return {code for code in cancellation_codes(exc) if code is not None}
