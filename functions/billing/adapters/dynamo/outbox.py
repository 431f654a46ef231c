"""The transactional outbox and the money audit trail in DynamoDB (OutboxModel, MoneyAuditModel).

Writing an event: a writer adds it to its own transaction with `add_event(tx, event, now)` and, in the
same transaction, sets its stream's `event_seq` to `event.seq` on the condition that it was
`event.seq - 1` (for an invoice: `InvoiceModel.event_seq`; a new invoice is put with its first event's
sequence). The outbox item itself is put only if absent, so two writers that read the same sequence
cannot both commit. That is all a new kind of event (a credit note's) needs; its effects are then
driven by billing.services.outbox.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import cancellation_codes, condition_failed, written
from billing.adapters.dynamo.models import CustomerModel, MoneyAuditModel, OutboxModel
from billing.domain.audit_trail import MoneyEntry
from billing.domain.outbox import OutboxEvent
from billing.services.errors import RetryableError

PENDING_BUCKETS = 16  # the sweep's index spread over 16 partitions, like the due index
CLAIM_STALE = timedelta(minutes=15)


def stream_key(tenant_id: str, stream: str) -> str:
    return f"{tenant_id}#{stream}"


def pending_bucket(tenant_id: str, stream: str) -> str:
    digest = hashlib.sha256(stream_key(tenant_id, stream).encode()).digest()
    return f"p#{digest[0] % PENDING_BUCKETS:02d}"


def outbox_item(event: OutboxEvent, now: datetime) -> OutboxModel:
    return OutboxModel(
        stream_key(event.tenant_id, event.stream),
        event.seq,
        tenant_id=event.tenant_id,
        event_id=event.event_id,
        event_type=event.event_type,
        occurred_at=event.occurred_at.isoformat(),
        payload=event.payload,
        effects=list(event.effects),
        context=event.context or None,
        done={},
        pending_bucket=pending_bucket(event.tenant_id, event.stream) if event.effects else None,
        created_key=f"{now.astimezone(UTC).isoformat()}#{event.event_id}",
    )


def add_event(tx: TransactWrite, event: OutboxEvent, now: datetime) -> None:
    """Put `event` in the outbox as part of `tx` (only if its stream has no event with its sequence)."""
    tx.save(outbox_item(event, now), condition=OutboxModel.seq.does_not_exist())


def _event(item: OutboxModel) -> OutboxEvent:
    return OutboxEvent(
        tenant_id=item.tenant_id,
        stream=item.stream_key.split("#", 1)[1],
        seq=int(item.seq),
        event_type=item.event_type,
        occurred_at=datetime.fromisoformat(item.occurred_at),
        payload=dict(item.payload or {}),
        effects=tuple(item.effects or ()),
        context=dict(item.context or {}),
        done={str(k): str(v) for k, v in (item.done.as_dict() if item.done else {}).items()},
    )


@cache
def _connection() -> Connection:
    return Connection()  # one botocore client per process (billing.adapters.dynamo.stores says why)


class DynamoOutbox:
    def pending(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        items = OutboxModel.query(
            stream_key(tenant_id, stream),
            filter_condition=OutboxModel.pending_bucket.exists(),
            consistent_read=True,
        )
        return [_event(i) for i in items]

    def events(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        return [_event(i) for i in OutboxModel.query(stream_key(tenant_id, stream), consistent_read=True)]

    def get(self, tenant_id: str, stream: str, seq: int) -> OutboxEvent | None:
        for item in OutboxModel.query(
            stream_key(tenant_id, stream), OutboxModel.seq == seq, consistent_read=True
        ):
            return _event(item)
        return None

    def mark_done(self, event: OutboxEvent, effect: str, *, last: bool) -> None:
        actions: list[Any] = [OutboxModel.done[effect].set("done")]
        if last:
            actions.append(OutboxModel.pending_bucket.remove())
        OutboxModel(stream_key(event.tenant_id, event.stream), event.seq).update(actions=actions)

    def claim(self, event: OutboxEvent, effect: str, now: datetime) -> bool:
        stale = f"sending:{(now - CLAIM_STALE).astimezone(UTC).isoformat()}"
        path = OutboxModel.done[effect]
        return written(
            partial(
                OutboxModel(stream_key(event.tenant_id, event.stream), event.seq).update,
                actions=[path.set(f"sending:{now.astimezone(UTC).isoformat()}")],
                condition=path.does_not_exist() | (path.startswith("sending:") & (path < stale)),
            ),
            f"claiming {effect} of {event.event_id}",
        )

    def release(self, event: OutboxEvent, effect: str) -> None:
        path = OutboxModel.done[effect]
        try:
            OutboxModel(stream_key(event.tenant_id, event.stream), event.seq).update(
                actions=[path.remove()], condition=path.startswith("sending:")
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise

    def credit_balance_once(self, event: OutboxEvent, customer_id: str, amount: int, *, last: bool) -> bool:
        path = OutboxModel.done["balance"]
        actions: list[Any] = [path.set("done")]
        if last:
            actions.append(OutboxModel.pending_bucket.remove())
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    OutboxModel(stream_key(event.tenant_id, event.stream), event.seq),
                    actions=actions,
                    condition=path.does_not_exist(),
                )
                tx.update(
                    CustomerModel(event.tenant_id, customer_id),
                    actions=[CustomerModel.balance.add(amount)],
                    condition=CustomerModel.customer_id.exists(),
                )
        except TransactWriteError as exc:
            reasons = cancellation_codes(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # done by an earlier drive
            raise RetryableError(f"crediting the balance for {event.event_id} failed: {exc}") from exc
        return True

    def pending_streams(self, older_than: datetime, limit: int = 500) -> list[tuple[str, str]]:
        found: dict[tuple[str, str], None] = {}
        before = older_than.astimezone(UTC).isoformat()
        for bucket in range(PENDING_BUCKETS):
            for key in OutboxModel.pending_index.query(
                f"p#{bucket:02d}", OutboxModel.created_key < before, limit=limit
            ):
                tenant_id, stream = key.stream_key.split("#", 1)
                found[(tenant_id, stream)] = None
                if len(found) >= limit:
                    return list(found)
        return list(found)


class DynamoEventLog:
    """An event that is a change by itself (a batch's usage.rejected: nothing else is stored), put
    only if its stream has none with its sequence, so the same batch sent again writes nothing."""

    def record(self, event: OutboxEvent) -> bool:
        return written(
            partial(outbox_item(event, datetime.now(UTC)).save, condition=OutboxModel.seq.does_not_exist()),
            f"recording {event.event_type} {event.event_id}",
        )


def _entry(item: MoneyAuditModel) -> MoneyEntry:
    tenant_id, invoice_id = item.invoice_key.split("#", 1)
    seq, kind = item.entry_key.split("#", 1)
    return MoneyEntry(
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        customer_id=item.customer_key.split("#", 1)[1],
        seq=int(seq),
        kind=kind,
        event_id=item.event_id,
        event_type=item.event_type,
        at=datetime.fromisoformat(item.at),
        actor=item.actor,
        reason=item.reason,
        currency=item.currency,
        before=dict(item.before or {}),
        after=dict(item.after or {}),
        change=int(item.change),
    )


class DynamoMoneyAudit:
    """Put-if-absent only: this class has no update and no delete, and the functions' IAM policies in
    template.yaml grant none on the table."""

    def record(self, entry: MoneyEntry) -> bool:
        return written(
            partial(
                MoneyAuditModel(
                    f"{entry.tenant_id}#{entry.invoice_id}",
                    entry.key,
                    customer_key=f"{entry.tenant_id}#{entry.customer_id}",
                    at_key=f"{entry.at.astimezone(UTC).isoformat()}#{entry.invoice_id}#{entry.key}",
                    event_id=entry.event_id,
                    event_type=entry.event_type,
                    at=entry.at.isoformat(),
                    actor=entry.actor,
                    reason=entry.reason,
                    currency=entry.currency,
                    before=entry.before,
                    after=entry.after,
                    change=entry.change,
                ).save,
                condition=MoneyAuditModel.entry_key.does_not_exist(),
            ),
            f"recording the audit entry for {entry.event_id}",
        )

    def for_invoice(self, tenant_id: str, invoice_id: str) -> list[MoneyEntry]:
        return [_entry(i) for i in MoneyAuditModel.query(f"{tenant_id}#{invoice_id}", consistent_read=True)]

    def for_customer(self, tenant_id: str, customer_id: str) -> list[MoneyEntry]:
        return [_entry(i) for i in MoneyAuditModel.customer_index.query(f"{tenant_id}#{customer_id}")]
