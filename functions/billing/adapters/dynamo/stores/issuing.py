"""Issuing an invoice in DynamoDB: the worker's one read of its inputs, the issuing transaction (number,
invoice, schedule, run outcome, audit, page and email claim), and the one write after the email.

The number is allocated by a compare-and-set on the tenant's counter inside the transaction that
stores the invoice, so a number is used exactly when an invoice is stored. Nothing is read to find out
whether the invoice exists: the transaction's conditions decide (the invoice's key, the counter's
value, the customer's schedule), and only a cancelled transaction looks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo import page_activity
from billing.adapters.dynamo.conditions import cancelled_by
from billing.adapters.dynamo.models import CounterModel, CustomerModel, InvoiceModel, RunItemModel
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores.audit_trail import audit_item
from billing.adapters.dynamo.stores.base import (
    NUMBER_RACE_ATTEMPTS,
    RUN_TTL,
    backoff,
    connection,
    customer_key,
    utc,
)
from billing.adapters.dynamo.stores.directories import customer_account
from billing.domain.invoice import Invoice
from billing.domain.invoice_events import ISSUED_SEQ, issued_event
from billing.services.errors import RetryableError
from billing.services.ports import (
    CustomerAccount,
    InvoiceState,
    IssueInputs,
    IssueRequest,
    IssueResult,
    RunOutcome,
    StoredInvoice,
)

_RETRYABLE = {
    "ConditionalCheckFailed",
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
}


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
        # Each part is read, and checked, by the module that writes it (InvoiceState says which).
        state=cast(InvoiceState, dict(item.state or {})),
        event_seq=int(item.event_seq or 0),
    )


class InvoiceIssuing:
    @staticmethod
    def _counter_id(tenant_id: str, series_prefix: str) -> str:
        # One gapless sequence per tenant and series (a series is its number prefix).
        return f"{tenant_id}#{series_prefix or 'default'}"

    def issue_inputs(
        self, tenant_id: str, customer_id: str, run_id: str, series_prefix: str = ""
    ) -> IssueInputs:
        """The customer, the series' counter and the run outcome in one BatchGetItem (strongly
        consistent: the counter's value is the transaction's condition)."""
        wanted = {
            CustomerModel: {"tenant_id": {"S": tenant_id}, "customer_id": {"S": customer_id}},
            CounterModel: {"counter_id": {"S": self._counter_id(tenant_id, series_prefix)}},
            RunItemModel: {"run_id": {"S": run_id}, "item_key": {"S": f"O#{customer_id}"}},
        }
        tables = {model.Meta.table_name: model for model in wanted}
        request: dict[str, Any] = {
            model.Meta.table_name: {"Keys": [key], "ConsistentRead": True} for model, key in wanted.items()
        }
        found: dict[type, Any] = {}
        client: Any = connection().client  # PynamoDB's batch get is one table's; this spans three
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                backoff(attempt)  # keys DynamoDB left unprocessed (throttling): ask again for those
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                for raw in items:
                    found[tables[table]] = tables[table].from_raw_data(raw)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RetryableError("reading the invoice's inputs was throttled; retry later")
        customer, counter, outcome = (
            found.get(CustomerModel),
            found.get(CounterModel),
            found.get(RunItemModel),
        )
        return IssueInputs(
            account=customer_account(customer) if customer is not None else None,
            counter=int(counter.value) if counter is not None else 0,
            outcome=RunOutcome(customer_id, outcome.outcome or "", outcome.invoice_id, outcome.detail)
            if outcome is not None
            else None,
        )

    def issue(self, request: IssueRequest) -> IssueResult:
        r = request
        tenant_id = r.invoice.tenant_id
        counter_id = self._counter_id(tenant_id, r.series.prefix)
        current = r.counter
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                backoff(attempt)
            if current is None:
                current = self._counter_value(counter_id)
            sequence = current + 1
            numbered = r.series.numbered(r.invoice, sequence, r.ocr_length_digit)
            item = self._invoice_item(numbered, r.account, r.page_token, r.run_id, sequence, r.now, r.state)
            if r.claim_email:
                # This attempt holds the email from the moment the invoice exists. The page is
                # rendered and published after the commit, not before: the counter's value is only
                # good until another worker commits, so everything between reading it and committing
                # is time in which this series issues nothing else (docs/performance.md, section 5).
                item.email_status = "sending"
                item.email_claimed_at = utc(r.now)
            try:
                self._commit(item, numbered, r, current, counter_id)
            except TransactWriteError as exc:
                reasons = cancelled_by(exc)
                if "ConditionalCheckFailed" in reasons:
                    # A condition decided: this invoice exists (a retry), or another worker took the
                    # number or advanced the schedule. Only now look at what is stored.
                    existing = self.get(tenant_id, r.invoice.invoice_id)
                    if existing is not None:
                        return IssueResult(existing, created=False)
                if reasons and reasons <= _RETRYABLE:
                    current = None  # a lost race or a conflict: read the counter again after a pause
                    continue
                raise RetryableError(f"storing invoice failed: {exc}") from exc
            return IssueResult(stored_invoice(item), created=True)
        raise RetryableError("could not allocate an invoice number: too much contention; retry later")

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        try:
            return stored_invoice(InvoiceModel.get(tenant_id, invoice_id, consistent_read=True))
        except DoesNotExist:
            return None

    @staticmethod
    def _counter_value(counter_id: str) -> int:
        try:
            return int(CounterModel.get(counter_id, consistent_read=True).value)
        except DoesNotExist:
            return 0

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
        self, item: InvoiceModel, invoice: Invoice, r: IssueRequest, current: int, counter_id: str
    ) -> None:
        """`invoice`: the request's invoice as numbered."""
        tenant_id, account, now = invoice.tenant_id, r.account, r.now
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
                r.next_period_start,
                issued=True,
                balance_used=invoice.balance_applied,
                coupons_after=r.coupons_after,
            )
            self._record_outcome(
                tx,
                r.run_id,
                tenant_id,
                account.customer.id,
                "invoiced",
                now,
                invoice_id=invoice.invoice_id,
                amount=(invoice.currency, invoice.total),
            )
            for event in r.audit:
                tx.save(audit_item(tenant_id, invoice.invoice_id, event))

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
            reasons = cancelled_by(exc)
            if reasons <= {"ConditionalCheckFailed"} and reasons:
                return False  # an earlier attempt recorded it, or another worker advanced first
            raise RetryableError(f"recording a skipped customer failed: {exc}") from exc
        return True

    def emailed(self, stored: StoredInvoice, now: datetime, *, message_id: str | None = None) -> None:
        """After the email, one UpdateItem: the invoice's email sent, and its SES message id, which the
        sparse message_index maps back to the invoice for SES's bounce (the delivery log's lookup).
        The run's "undelivered" reads this status too, so no run item is written."""
        actions: list[Any] = [
            InvoiceModel.email_status.set("sent"),
            InvoiceModel.email_sent_at.set(utc(now)),
            # The page went out before the email: recorded here, in the same write, when no earlier
            # attempt recorded it.
            InvoiceModel.page_published_at.set(InvoiceModel.page_published_at | utc(now)),
        ]
        if message_id:
            actions.append(InvoiceModel.email_message_id.set(message_id))
        InvoiceModel(stored.tenant_id, stored.invoice_id).update(actions=actions)
