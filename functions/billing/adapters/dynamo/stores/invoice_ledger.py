"""The invoice ledger (billing.services.ports.InvoiceLedger): reads, payments, pages; the issuing
itself (numbering, the transaction) is billing.adapters.dynamo.stores.issuing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo import page_activity
from billing.adapters.dynamo.conditions import cancelled_by, written
from billing.adapters.dynamo.guard import item_size_guard
from billing.adapters.dynamo.models import (
    InvoiceModel,
)
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores.base import (
    PAGE_TOKEN,
    connection,
    customer_key,
    utc,
)
from billing.adapters.dynamo.stores.issuing import InvoiceIssuing, stored_invoice
from billing.adapters.dynamo.stripe_refs import Owner, remember
from billing.domain.merchant_events import EventDraft
from billing.domain.outbox import OutboxEvent
from billing.domain.payments import InvoicePayments
from billing.services.errors import RetryableError
from billing.services.ports import (
    DEFAULT_PAGE_LIMITS,
    PageLimits,
    StoredInvoice,
)


class DynamoInvoiceLedger(InvoiceIssuing):
    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        items = InvoiceModel.customer_index.query(
            customer_key(tenant_id, customer_id),
            InvoiceModel.period_start < before.isoformat(),
            scan_index_forward=False,
            limit=limit,
        )
        return list(reversed([stored_invoice(i) for i in items]))

    def by_page_token(self, token: str) -> StoredInvoice | None:
        # A link's token is ours: 32 URL-safe characters, an instalment's a few more. Anything else
        # is no invoice, answered without a query (an over-long key is a DynamoDB error, not a miss).
        if not PAGE_TOKEN.fullmatch(token):
            return None
        for key in InvoiceModel.page_index.query(token, limit=1):
            return self.get(key.tenant_id, key.invoice_id)
        return None

    def mark_published(self, tenant_id: str, invoice_id: str, now: datetime) -> None:
        InvoiceModel(tenant_id, invoice_id).update(actions=[InvoiceModel.page_published_at.set(utc(now))])

    def claim_email(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        # A claim older than 15 minutes belongs to an attempt that died between claim and send.
        stale = utc(now) - timedelta(minutes=15)
        return written(
            partial(
                InvoiceModel(tenant_id, invoice_id).update,
                actions=[
                    InvoiceModel.email_status.set("sending"),
                    InvoiceModel.email_claimed_at.set(utc(now)),
                ],
                condition=InvoiceModel.email_status.does_not_exist()
                | ((InvoiceModel.email_status == "sending") & (InvoiceModel.email_claimed_at < stale)),
            ),
            "claiming the invoice email",
        )

    def mark_emailed(self, tenant_id: str, invoice_id: str, now: datetime) -> None:
        InvoiceModel(tenant_id, invoice_id).update(
            actions=[InvoiceModel.email_status.set("sent"), InvoiceModel.email_sent_at.set(utc(now))]
        )

    def release_email(self, tenant_id: str, invoice_id: str) -> None:
        InvoiceModel(tenant_id, invoice_id).update(
            actions=[InvoiceModel.email_status.remove(), InvoiceModel.email_claimed_at.remove()],
            condition=InvoiceModel.email_status == "sending",
        )

    def record_view(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        item = InvoiceModel(tenant_id, invoice_id)
        with item_size_guard(f"invoice {tenant_id}#{invoice_id}"):
            item.update(
                actions=[
                    InvoiceModel.view_count.add(1),
                    InvoiceModel.last_viewed_at.set(utc(now)),
                    InvoiceModel.first_viewed_at.set(InvoiceModel.first_viewed_at | utc(now)),
                ],
                condition=InvoiceModel.invoice_id.exists(),
            )
        return int(item.view_count) == 1

    def add_question(
        self,
        tenant_id: str,
        invoice_id: str,
        question: dict[str, Any],
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
        asked: EventDraft | None = None,
    ) -> bool:
        return page_activity.add_question(tenant_id, invoice_id, question, limits, asked)

    def claim_support_notice(self, tenant_id: str, invoice_id: str) -> bool:
        return page_activity.claim_support_notice(tenant_id, invoice_id)

    def release_support_notice(self, tenant_id: str, invoice_id: str) -> None:
        page_activity.release_support_notice(tenant_id, invoice_id)

    def set_feedback(self, tenant_id: str, invoice_id: str, feedback: dict[str, Any]) -> None:
        with item_size_guard(f"invoice {tenant_id}#{invoice_id}"):
            InvoiceModel(tenant_id, invoice_id).update(
                actions=[InvoiceModel.feedback.set(feedback)], condition=InvoiceModel.invoice_id.exists()
            )

    def record_offer_click(
        self,
        tenant_id: str,
        invoice_id: str,
        offer_id: str,
        now: datetime,
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
    ) -> None:
        page_activity.record_offer_click(tenant_id, invoice_id, offer_id, now, limits)

    def save_payments(
        self,
        stored: StoredInvoice,
        payments: InvoicePayments,
        *,
        paid_at: datetime | None,
        disputed: bool,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        item = InvoiceModel.get(stored.tenant_id, stored.invoice_id, consistent_read=True)
        version = int(item.version)
        state = dict(item.state or {})
        if state.get("payments") != stored.state.get("payments"):
            return False  # changed since the caller read it: apply the event again on fresh state
        record = payments.to_record()
        # A payment Stripe made is findable by its ids before it is stored (stripe_refs says why).
        remember(stored.tenant_id, Owner.INVOICE, stored.invoice_id, state.get("payments"), record)
        state["payments"] = record
        amount_due = payments.amount_due
        status = "paid" if amount_due == 0 else "open"
        actions: list[Any] = [
            InvoiceModel.state.set(state),
            InvoiceModel.amount_paid.set(payments.amount_paid),
            InvoiceModel.amount_due.set(amount_due),
            InvoiceModel.status.set(status),
            InvoiceModel.version.add(1),
        ]
        # The sparse open index holds exactly the invoices that still wait for money.
        if amount_due == 0:
            actions.append(InvoiceModel.open_bucket.remove())
        else:
            actions.append(InvoiceModel.open_bucket.set(f"{stored.tenant_id}#open"))
        if paid_at is not None:
            actions.append(InvoiceModel.paid_at.set(utc(paid_at)))
        elif amount_due > 0 and item.paid_at is not None:
            actions.append(InvoiceModel.paid_at.remove())  # a payment was taken back: not paid any more
        condition = InvoiceModel.version == version
        if events:
            # The events' sequences follow the invoice's last one; the version condition keeps it so.
            actions.append(InvoiceModel.event_seq.set(events[-1].seq))
        # When the outbox item was written (the sweep's order), not when the payment happened.
        now = datetime.now(UTC)
        try:
            with item_size_guard(f"invoice {stored.tenant_id}#{stored.invoice_id}"):
                with TransactWrite(connection=connection()) as tx:
                    tx.update(
                        InvoiceModel(stored.tenant_id, stored.invoice_id),
                        actions=actions,
                        condition=condition,
                    )
                    for event in events:
                        add_event(tx, event, now)
        except TransactWriteError as exc:
            codes = cancelled_by(exc)
            if codes and codes <= {"ConditionalCheckFailed", "TransactionConflict"}:
                return False  # changed (or an event numbered) since the caller read it: apply again
            raise RetryableError(f"saving the payment failed: {exc}") from exc
        return True
