"""The customer's outbox stream (`customer#<id>`: mandate.approved, mandate.cancelled,
subscription.changed), numbered by `CustomerModel.event_seq`.

A change that reports itself on this stream reads the customer's last sequence, then commits in one
transaction: its own write (on the customer item, with `event_seq` set to the next one under the
condition that it is still the one read; or on another item, with a separate update of the customer's
`event_seq` under the same condition) and the outbox item (put only if absent). Two changes that read
the same sequence cannot both commit: the loser reads again and decides again, so a retried or
concurrent change writes its event once, and a crash before the commit leaves neither.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model

from billing.adapters.dynamo.conditions import Transaction, codes_as_added, written
from billing.adapters.dynamo.models import CustomerModel
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores import connection
from billing.domain.merchant_events import EventDraft, customer_stream
from billing.domain.outbox import OutboxEvent
from billing.services.errors import RetryableError

ATTEMPTS = 20


def customer_seq(tenant_id: str, customer_id: str) -> int | None:
    """The customer's last event sequence (0: none yet); None when there is no such customer."""
    try:
        item = CustomerModel.get(
            tenant_id, customer_id, consistent_read=True, attributes_to_get=["customer_id", "event_seq"]
        )
    except DoesNotExist:
        return None
    return int(item.event_seq or 0)


def seq_is(seq: int) -> Any:
    return CustomerModel.event_seq == seq if seq else CustomerModel.event_seq.does_not_exist()


def on_customer(draft: EventDraft, tenant_id: str, customer_id: str, seq: int) -> OutboxEvent:
    return draft.numbered(tenant_id, customer_stream(customer_id), seq)


def _update(item: Model, actions: list[Any], condition: Any) -> bool:
    return written(partial(item.update, actions=actions, condition=condition))


def update_customer_with_event(
    tenant_id: str,
    customer_id: str,
    *,
    actions: list[Any],
    condition: Any,
    draft: EventDraft | None,
    what: str,
) -> bool:
    """Update the customer item (`actions` if `condition`) and, with `draft`, number and put its event
    in the same transaction. False when `condition` does not hold (re-checked against a fresh
    sequence, so a lost race for the number is retried, not reported as the condition failing)."""
    if draft is None:
        return _update(CustomerModel(tenant_id, customer_id), actions, condition)
    for _ in range(ATTEMPTS):
        seq = customer_seq(tenant_id, customer_id)
        if seq is None:
            return False
        try:
            with Transaction(connection=connection()) as tx:
                tx.update(
                    CustomerModel(tenant_id, customer_id),
                    actions=[*actions, CustomerModel.event_seq.set(seq + 1)],
                    condition=condition & seq_is(seq),
                )
                add_event(tx, on_customer(draft, tenant_id, customer_id, seq + 1), datetime.now(UTC))
        except TransactWriteError as exc:
            found = codes_as_added(exc, tx)
            if not found or set(found) - {"ConditionalCheckFailed", "TransactionConflict", "None", None}:
                raise RetryableError(f"{what} failed: {exc}") from exc
            if found[0] == "ConditionalCheckFailed" and customer_seq(tenant_id, customer_id) == seq:
                return False  # the change's own condition: nothing was written
            continue  # another event took the number (or a concurrent write): read again
        return True
    raise RetryableError(f"{what} failed: too much contention")


def update_with_customer_event(
    item: Model,
    *,
    actions: list[Any],
    condition: Any,
    tenant_id: str,
    customer_id: str,
    draft: EventDraft,
    what: str,
) -> bool:
    """Update `item` (not the customer's: an Autogiro mandate) and advance the customer's stream with
    its event, in one transaction. False when `condition` on `item` does not hold."""
    for _ in range(ATTEMPTS):
        seq = customer_seq(tenant_id, customer_id)
        if seq is None:
            # No customer item (erased): nobody to report to, and an update would create a stub.
            return _update(item, actions, condition)
        try:
            with Transaction(connection=connection()) as tx:
                tx.update(item, actions=actions, condition=condition)
                tx.update(
                    CustomerModel(tenant_id, customer_id),
                    actions=[CustomerModel.event_seq.set(seq + 1)],
                    condition=CustomerModel.customer_id.exists() & seq_is(seq),
                )
                add_event(tx, on_customer(draft, tenant_id, customer_id, seq + 1), datetime.now(UTC))
        except TransactWriteError as exc:
            found = codes_as_added(exc, tx)
            if not found or set(found) - {"ConditionalCheckFailed", "TransactionConflict", "None", None}:
                raise RetryableError(f"{what} failed: {exc}") from exc
            if found[0] == "ConditionalCheckFailed":
                return False
            continue  # another event took the customer's number: read again
        return True
    raise RetryableError(f"{what} failed: too much contention")
