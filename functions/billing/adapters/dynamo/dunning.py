"""DynamoDB side of dunning: walking open invoices, the fee agreement, and version-checked state writes.

- Open invoices come from the sparse `open_index` (hash "<tenant>#open", range due_date): keys only,
  then one consistent read per invoice. No scans.
- `state["dunning"]` is written only if the invoice's version is still the one the caller read, so
  two runs of the daily job (or a run and a customer's click) can never both record the same step.
- Instalments are child items of the invoices table (`<invoice_id>:inst:<k>`) with their own number,
  OCR reference and page token: payments settle them like any invoice (`ApplyPaymentEvent`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo import page_activity
from billing.adapters.dynamo.conditions import cancelled_by, condition_failed, written
from billing.adapters.dynamo.guard import emit_too_large, item_size_guard
from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores import connection, stored_invoice
from billing.domain.outbox import OutboxEvent
from billing.services.dunning.ports import QuestionAnswer
from billing.services.errors import ItemTooLarge, RetryableError
from billing.services.ports import StoredInvoice


def open_bucket(tenant_id: str) -> str:
    return f"{tenant_id}#open"


def split_bucket(tenant_id: str) -> str:
    """Split invoices wait here (same sparse index, own partition) until every instalment is paid:
    out of the way of anything that charges open invoices, yet walked by the daily job every day."""
    return f"{tenant_id}#split"


def _too_large(reason: Any) -> bool:
    """A transaction's cancellation reason for a write past 400 KB (DynamoDB says ValidationError)."""
    code = str(getattr(reason, "code", "") or "")
    return code.startswith("Validation") and "size" in str(getattr(reason, "message", "") or "").lower()


class DynamoDunningStore:
    def open_invoices(self, tenant_id: str, due_through: date) -> Iterator[StoredInvoice]:
        """Every invoice still waiting for money whose (original) due date is on or before
        `due_through`, then every split invoice whose instalments are not all paid yet."""
        keys = itertools.chain(
            InvoiceModel.open_index.query(
                open_bucket(tenant_id), InvoiceModel.due_date <= due_through.isoformat()
            ),
            InvoiceModel.open_index.query(split_bucket(tenant_id)),
        )
        for key in keys:
            try:
                item = InvoiceModel.get(key.tenant_id, key.invoice_id, consistent_read=True)
            except DoesNotExist:
                continue  # the index lags the table by moments
            yield stored_invoice(item)

    def fee_agreed_on(self, tenant_id: str, customer_id: str) -> date | None:
        try:
            item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return None
        raw = item.reminder_fee_agreed_on
        return date.fromisoformat(raw) if raw else None

    @staticmethod
    def set_fee_agreement(tenant_id: str, customer_id: str, agreed_on: date | None) -> None:
        """The contract term: from `agreed_on` on, the customer agreed to reminder fees (None: never)."""
        action = (
            CustomerModel.reminder_fee_agreed_on.set(agreed_on.isoformat())
            if agreed_on
            else CustomerModel.reminder_fee_agreed_on.remove()
        )
        CustomerModel(tenant_id, customer_id).update(
            actions=[action], condition=CustomerModel.customer_id.exists()
        )

    def save_dunning(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        *,
        events: Sequence[OutboxEvent] = (),
        **fields: Any,
    ) -> bool:
        """Store `dunning` as state["dunning"] only if it is unchanged since `stored` was read.

        `fields` may also set `status` and `open` (False removes the invoice from the open index).
        `events` go to the outbox in the same transaction, numbered after the invoice's last event.
        False when someone else changed the dunning state first (the caller reads again and decides)."""
        read = _unchanged_since(stored, events)
        if read is None:
            return False
        item, state = read
        state["dunning"] = dunning
        actions: list[Any] = [InvoiceModel.state.set(state), InvoiceModel.version.add(1)]
        if "status" in fields:
            actions.append(InvoiceModel.status.set(fields["status"]))
        if fields.get("open") is False:
            actions.append(InvoiceModel.open_bucket.remove())
        condition = InvoiceModel.version == item.version
        try:
            with item_size_guard(f"invoice {stored.tenant_id}#{stored.invoice_id}"):
                if not events:
                    item.update(actions=actions, condition=condition)
                    return True
                actions.append(InvoiceModel.event_seq.set(events[-1].seq))
                now = datetime.now(UTC)  # when the outbox item was written: the sweep's order
                with TransactWrite(connection=connection()) as tx:
                    key = InvoiceModel(stored.tenant_id, stored.invoice_id)
                    tx.update(key, actions=actions, condition=condition)
                    for event in events:
                        add_event(tx, event, now)
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise RetryableError(f"saving the dunning state failed: {exc}") from exc
        except TransactWriteError as exc:
            reasons = [r for r in exc.cancellation_reasons or [] if r is not None]
            if any(_too_large(r) for r in reasons):
                # In a transaction the 400 KB refusal is a cancellation reason, which the guard
                # does not see: the same named, counted error as a plain update's.
                what = f"invoice {stored.tenant_id}#{stored.invoice_id}"
                emit_too_large(what)
                raise ItemTooLarge(f"{what} would exceed DynamoDB's item size limit", field="item") from exc
            if cancelled_by(exc) <= {"ConditionalCheckFailed", "TransactionConflict"}:
                return False  # changed (or an event numbered) since it was read: decide again
            raise RetryableError(f"saving the dunning state failed: {exc}") from exc
        return True

    def answer_question(self, answer: QuestionAnswer) -> StoredInvoice:
        """Store the answer; `question_open` stays true while any question is unanswered."""
        item = page_activity.answer_question(answer)
        return stored_invoice(item)

    def split(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        children: Sequence[dict[str, Any]],
        now: datetime,
        *,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        """Mark the invoice split and store its instalments, in one transaction, if nobody changed the
        invoice since `stored` was read. Each child: invoice_id, number, ocr, page_token, amount,
        due_date and the Invoice document. The parent moves to the split bucket of the open index
        (the daily job closes it when every instalment is paid)."""
        read = _unchanged_since(stored, events)
        if read is None:
            return False
        parent, state = read
        state["dunning"] = dunning
        actions: list[Any] = [
            InvoiceModel.state.set(state),
            InvoiceModel.status.set("split"),
            InvoiceModel.open_bucket.set(split_bucket(parent.tenant_id)),
            InvoiceModel.version.add(1),
        ]
        if events:
            actions.append(InvoiceModel.event_seq.set(events[-1].seq))
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(
                    parent,
                    actions=actions,
                    condition=(InvoiceModel.version == parent.version) & (InvoiceModel.status == "open"),
                )
                for child in children:
                    tx.save(
                        self._child_item(parent, child, now),
                        condition=InvoiceModel.invoice_id.does_not_exist(),
                    )
                for event in events:
                    add_event(tx, event, datetime.now(UTC))
        except TransactWriteError as exc:
            codes = cancelled_by(exc)
            if codes and codes <= {"ConditionalCheckFailed"}:
                return False
            raise RetryableError(f"storing the instalments failed: {exc}") from exc
        return True

    @staticmethod
    def _child_item(parent: InvoiceModel, child: dict[str, Any], now: datetime) -> InvoiceModel:
        return InvoiceModel(
            parent.tenant_id,
            child["invoice_id"],
            customer_id=parent.customer_id,
            customer_key=parent.customer_key,
            period_start=parent.period_start,
            period_end=parent.period_end,
            number=child["number"],
            sequence=parent.sequence,
            ocr=child["ocr"],
            page_token=child["page_token"],
            status="open",
            open_bucket=open_bucket(parent.tenant_id),
            due_date=child["due_date"],
            currency=parent.currency,
            total=child["amount"],
            amount_due=child["amount"],
            document=child["document"],
            run_id=parent.run_id,
            created_at=now.astimezone(UTC),
            # The parent's page shows the plan; the child's own page is published when it is paid.
            page_published_at=now.astimezone(UTC),
            email_status="sent",
            state={"dunning": {"instalment_of": parent.invoice_id, "number": child["number_in_plan"]}},
        )

    def children(self, stored: StoredInvoice, ids: Sequence[str]) -> list[StoredInvoice]:
        found: list[StoredInvoice] = []
        for invoice_id in ids:
            try:
                found.append(
                    stored_invoice(InvoiceModel.get(stored.tenant_id, invoice_id, consistent_read=True))
                )
            except DoesNotExist:
                continue
        return found

    def close_split(self, stored: StoredInvoice, dunning: dict[str, Any], paid_at: datetime) -> bool:
        """Every instalment is paid: the invoice is paid and leaves the open index."""
        item = InvoiceModel.get(stored.tenant_id, stored.invoice_id, consistent_read=True)
        state = dict(item.state or {})
        state["dunning"] = dunning
        return written(
            partial(
                item.update,
                actions=[
                    InvoiceModel.state.set(state),
                    InvoiceModel.status.set("paid"),
                    InvoiceModel.amount_due.set(0),
                    InvoiceModel.amount_paid.set(int(item.amount_paid or 0) + int(item.amount_due)),
                    InvoiceModel.paid_at.set(paid_at.astimezone(UTC)),
                    InvoiceModel.open_bucket.remove(),
                    InvoiceModel.version.add(1),
                ],
                condition=(InvoiceModel.version == item.version) & (InvoiceModel.status == "split"),
            ),
            "closing the split invoice",
        )


def _unchanged_since(
    stored: StoredInvoice, events: Sequence[OutboxEvent]
) -> tuple[InvoiceModel, dict[str, Any]] | None:
    """The invoice as stored now, and a copy of its state to change, if its dunning state is as
    `stored` read it and no event was written since (the first of `events` numbers after its last);
    None when another change came first, and the caller reads again and decides."""
    item = InvoiceModel.get(stored.tenant_id, stored.invoice_id, consistent_read=True)
    state = dict(item.state or {})
    if state.get("dunning") != stored.state.get("dunning"):
        return None
    if events and int(item.event_seq or 0) != events[0].seq - 1:
        return None
    return item, state
