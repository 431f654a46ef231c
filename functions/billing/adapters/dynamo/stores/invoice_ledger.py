"""The invoice ledger (billing.services.ports.InvoiceLedger): numbering, issuing, payments, pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo import page_activity
from billing.adapters.dynamo.guard import item_size_guard
from billing.adapters.dynamo.models import (
    CounterModel,
    CustomerModel,
    InvoiceModel,
    RunItemModel,
)
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores.base import (
    NUMBER_RACE_ATTEMPTS,
    PAGE_TOKEN,
    RUN_TTL,
    backoff,
    connection,
    customer_key,
    utc,
)
from billing.domain.invoice import Invoice, format_invoice_number
from billing.domain.invoice_events import ISSUED_SEQ, issued_event
from billing.domain.merchant_events import EventDraft
from billing.domain.ocr import ocr_reference
from billing.domain.outbox import OutboxEvent
from billing.domain.payments import InvoicePayments
from billing.services.errors import RetryableError
from billing.services.ports import (
    DEFAULT_PAGE_LIMITS,
    CustomerAccount,
    IssueResult,
    PageLimits,
    StoredInvoice,
)


def stored_invoice(item: InvoiceModel) -> StoredInvoice:
    questions = list(item.questions or ())  # legacy: asked before questions had their own items
    if item.question_count:
        questions += page_activity.questions_of(item.tenant_id, item.invoice_id)
    return StoredInvoice(
        invoice=Invoice.from_dict(item.document),
        page_token=item.page_token,
        status=item.status,
        amount_due=int(item.amount_due),
        run_id=item.run_id,
        page_published_at=item.page_published_at,
        email_status=item.email_status,
        created_at=item.created_at,
        amount_paid=int(item.amount_paid or 0),
        paid_at=item.paid_at,
        view_count=int(item.view_count or 0),
        first_viewed_at=item.first_viewed_at,
        questions=tuple(questions),
        question_open=bool(item.question_open),
        question_first_at=item.question_first_at,
        feedback=item.feedback,
        state=dict(item.state or {}),
        event_seq=int(item.event_seq or 0),
    )


class DynamoInvoiceLedger:
    @staticmethod
    def _counter_id(tenant_id: str, series_prefix: str) -> str:
        # One gapless sequence per tenant and series (a series is its number prefix).
        return f"{tenant_id}#{series_prefix or 'default'}"

    def issue(
        self,
        *,
        invoice: Invoice,
        account: CustomerAccount,
        next_period_start: date,
        page_token: str,
        run_id: str,
        now: datetime,
        series_prefix: str = "",
        ocr_length_digit: bool = False,
        coupons_after: Sequence[dict[str, Any]] | None = None,
        state: dict[str, Any] | None = None,
    ) -> IssueResult:
        tenant_id = invoice.tenant_id
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                backoff(attempt)
            existing = self.get(tenant_id, invoice.invoice_id)
            if existing is not None:
                return IssueResult(existing, created=False)
            try:
                counter = CounterModel.get(self._counter_id(tenant_id, series_prefix), consistent_read=True)
                current = int(counter.value)
            except DoesNotExist:
                current = 0
            sequence = current + 1
            numbered = invoice.with_number(
                format_invoice_number(series_prefix, sequence), ocr_reference(str(sequence), ocr_length_digit)
            )
            item = self._invoice_item(numbered, account, page_token, run_id, sequence, now, state)
            try:
                self._commit(
                    item,
                    numbered,
                    account,
                    next_period_start,
                    run_id,
                    current,
                    now,
                    self._counter_id(tenant_id, series_prefix),
                    coupons_after,
                )
            except TransactWriteError as exc:
                reasons = {getattr(r, "code", None) for r in exc.cancellation_reasons if r is not None}
                if reasons <= {"ConditionalCheckFailed"} and reasons:
                    # Lost a race: another worker took the number, or issued this very invoice, or
                    # advanced the schedule. Look again and decide.
                    continue
                if reasons and reasons <= {
                    "ConditionalCheckFailed",
                    "TransactionConflict",
                    "ThrottlingError",
                    "ProvisionedThroughputExceeded",
                }:
                    continue  # another transaction on the same items: try again after a pause
                raise RetryableError(f"storing invoice failed: {exc}") from exc
            return IssueResult(stored_invoice(item), created=True)
        raise RetryableError("could not allocate an invoice number: too much contention; retry later")

    @staticmethod
    def _invoice_item(
        invoice: Invoice,
        account: CustomerAccount,
        token: str,
        run_id: str,
        sequence: int,
        now: datetime,
        state: dict[str, Any] | None = None,
    ) -> InvoiceModel:
        period_start = (invoice.period.start if invoice.period else invoice.issue_date).isoformat()
        period_end = (invoice.period.end if invoice.period else invoice.issue_date).isoformat()
        open_ = invoice.amount_due > 0
        return InvoiceModel(
            invoice.tenant_id,
            invoice.invoice_id,
            customer_id=account.customer.id,
            customer_key=customer_key(invoice.tenant_id, account.customer.id),
            period_start=period_start,
            period_end=period_end,
            number=invoice.number or "",
            sequence=sequence,
            ocr=invoice.ocr or None,  # sparse ocr_index: no empty key
            page_token=token,
            status="open" if open_ else "paid",
            open_bucket=f"{invoice.tenant_id}#open" if open_ else None,
            due_date=invoice.due_date.isoformat(),
            currency=invoice.currency,
            total=invoice.total,
            amount_due=invoice.amount_due,
            document=invoice.to_dict(),
            run_id=run_id,
            created_at=utc(now),
            state=dict(state or {}),
            event_seq=ISSUED_SEQ,  # its invoice.issued event, put in the same transaction
        )

    def _commit(
        self,
        item: InvoiceModel,
        invoice: Invoice,
        account: CustomerAccount,
        next_period_start: date,
        run_id: str,
        current: int,
        now: datetime,
        counter_id: str,
        coupons_after: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        tenant_id = invoice.tenant_id
        counter_condition = (
            CounterModel.value == current if current else CounterModel.counter_id.does_not_exist()
        )
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                CounterModel(counter_id),
                actions=[CounterModel.value.set(current + 1)],
                condition=counter_condition,
            )
            tx.save(item, condition=InvoiceModel.invoice_id.does_not_exist())
            add_event(tx, issued_event(invoice, now), now)
            self._advance(
                tx,
                account,
                next_period_start,
                issued=True,
                balance_used=invoice.balance_applied,
                coupons_after=coupons_after,
            )
            self._record_outcome(
                tx,
                run_id,
                tenant_id,
                account.customer.id,
                "invoiced",
                now,
                invoice_id=invoice.invoice_id,
                amount=(invoice.currency, invoice.total),
            )

    @staticmethod
    def _advance(
        tx: TransactWrite,
        account: CustomerAccount,
        next_period_start: date,
        *,
        issued: bool,
        balance_used: int = 0,
        coupons_after: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        actions: list[Any] = [
            CustomerModel.next_period_start.set(next_period_start.isoformat()),
            CustomerModel.next_invoice_date.set(next_period_start.isoformat()),
        ]
        if coupons_after is not None:
            # The coupons' use counts move with the invoice that used them, in the same transaction.
            actions.append(CustomerModel.coupons.set(list(coupons_after)))
        condition = CustomerModel.next_period_start == account.next_period_start.isoformat()
        if issued:
            actions.append(CustomerModel.invoices_issued.add(1))
        if balance_used:
            # The credit used by this invoice leaves the balance in the same transaction; the
            # condition makes a concurrent change of the balance retry instead of going negative.
            actions.append(CustomerModel.balance.add(-balance_used))
            condition = condition & (CustomerModel.balance >= balance_used)
        tx.update(CustomerModel(account.tenant_id, account.customer.id), actions=actions, condition=condition)

    @staticmethod
    def _record_outcome(
        tx: TransactWrite,
        run_id: str,
        tenant_id: str,
        customer_id: str,
        outcome: str,
        now: datetime,
        *,
        invoice_id: str | None = None,
        amount: tuple[str, int] | None = None,
        detail: str | None = None,
    ) -> None:
        tx.save(
            RunItemModel(
                run_id,
                f"O#{customer_id}",
                tenant_id=tenant_id,
                outcome=outcome,
                invoice_id=invoice_id,
                detail=detail,
                updated_at=utc(now),
                expires_at=utc(now) + RUN_TTL,
            ),
            condition=RunItemModel.item_key.does_not_exist(),
        )
        actions: list[Any] = [
            (RunItemModel.invoiced if outcome == "invoiced" else RunItemModel.skipped).add(1),
            RunItemModel.updated_at.set(utc(now)),
        ]
        if amount is not None:
            currency, total = amount
            actions.append(RunItemModel.amounts[currency].add(total))
        tx.update(RunItemModel(run_id, "summary"), actions=actions)

    def skip(
        self, *, account: CustomerAccount, next_period_start: date, run_id: str, reason: str, now: datetime
    ) -> bool:
        try:
            with TransactWrite(connection=connection()) as tx:
                if next_period_start != account.next_period_start:
                    self._advance(tx, account, next_period_start, issued=False)
                self._record_outcome(
                    tx, run_id, account.tenant_id, account.customer.id, "skipped", now, detail=reason
                )
        except TransactWriteError as exc:
            reasons = {getattr(r, "code", None) for r in exc.cancellation_reasons if r is not None}
            if reasons <= {"ConditionalCheckFailed"} and reasons:
                return False  # an earlier attempt recorded it, or another worker advanced first
            raise RetryableError(f"recording a skipped customer failed: {exc}") from exc
        return True

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        try:
            return stored_invoice(InvoiceModel.get(tenant_id, invoice_id, consistent_read=True))
        except DoesNotExist:
            return None

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
        try:
            InvoiceModel(tenant_id, invoice_id).update(
                actions=[
                    InvoiceModel.email_status.set("sending"),
                    InvoiceModel.email_claimed_at.set(utc(now)),
                ],
                condition=InvoiceModel.email_status.does_not_exist()
                | ((InvoiceModel.email_status == "sending") & (InvoiceModel.email_claimed_at < stale)),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise RetryableError(f"claiming the invoice email failed: {exc}") from exc
        return True

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
        state["payments"] = payments.to_record()
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
            codes = {getattr(r, "code", None) for r in exc.cancellation_reasons or [] if r is not None}
            codes -= {None, "None"}
            if codes and codes <= {"ConditionalCheckFailed", "TransactionConflict"}:
                return False  # changed (or an event numbered) since the caller read it: apply again
            raise RetryableError(f"saving the payment failed: {exc}") from exc
        return True
