"""One-off invoices and credit notes in the Invoices table (billing.services.invoices.ports.OneOffLedger,
billing.services.credit_notes.ports.CreditNoteLedger).

Each is issued by one transaction with a compare-and-set on its series' counter, exactly like a run's
invoice (DynamoInvoiceLedger.issue): a number is used exactly when a document is stored, so both
series stay gapless and unique under concurrent requests and retries. A one-off invoice takes the
tenant's invoice series; credit notes have their own counter and print as `<prefix>K000001`. The
same transaction writes their outbox events (docs/events.md): invoice.issued; credit_note.issued and
invoice.credited on the credited invoice's stream.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo.conditions import Transaction, codes_as_added
from billing.adapters.dynamo.invoice_reads import DynamoInvoiceReads
from billing.adapters.dynamo.models import CounterModel, CustomerModel, InvoiceModel
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores import (
    NUMBER_RACE_ATTEMPTS,
    DynamoCustomerDirectory,
    DynamoInvoiceLedger,
    backoff,
    connection,
    stored_invoice,
)
from billing.domain.credit import format_credit_note_number
from billing.domain.invoice import Invoice
from billing.domain.invoice_credits import CreditRef, invoice_credits
from billing.domain.invoice_events import credited_event, issued_event
from billing.services.credit_notes.ports import CreditNoteIssue
from billing.services.errors import RetryableError
from billing.services.ports import CustomerAccount, DocumentIssue, StoredInvoice

_RACES = {"ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def credit_note_counter_id(tenant_id: str, series_prefix: str) -> str:
    # Beside the invoice series' counter ("<tenant>#<prefix>"), never equal to one.
    return f"credit_note#{tenant_id}#{series_prefix or 'default'}"


class DynamoLedgerDocuments:
    def __init__(self) -> None:
        self._ledger = DynamoInvoiceLedger()

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self._ledger.get(tenant_id, invoice_id)

    @staticmethod
    def account(tenant_id: str, customer_id: str) -> CustomerAccount | None:
        return DynamoCustomerDirectory().get(tenant_id, customer_id)

    @staticmethod
    def customer_exists(tenant_id: str, customer_id: str) -> bool:
        return DynamoInvoiceReads.customer_exists(tenant_id, customer_id)

    # ------------------------------------------------------------------------------ one-off invoices

    def issue_one_off(self, issue: DocumentIssue) -> StoredInvoice | None:
        invoice, account, now = issue.invoice, issue.account, issue.now
        numbered: dict[str, Invoice] = {}

        def item(sequence: int) -> InvoiceModel:
            numbered["invoice"] = issue.series.numbered(invoice, sequence, issue.ocr_length_digit)
            return self._item(numbered["invoice"], account, issue.page_token, sequence, now)

        def customer(tx: TransactWrite) -> None:
            actions: list[Any] = [CustomerModel.invoices_issued.add(1)]
            condition = CustomerModel.customer_id.exists()
            if invoice.balance_applied:
                # The credit this invoice uses leaves the balance with it; a concurrent use of the
                # balance fails the condition and the invoice is computed again.
                actions.append(CustomerModel.balance.add(-invoice.balance_applied))
                condition = condition & (CustomerModel.balance >= invoice.balance_applied)
            tx.update(
                CustomerModel(invoice.tenant_id, account.customer.id), actions=actions, condition=condition
            )
            # Its invoice.issued event (docs/events.md), in the issuing transaction like a run's.
            add_event(tx, issued_event(numbered["invoice"], now), now)

        return self._issue(
            invoice,
            DynamoInvoiceLedger._counter_id(invoice.tenant_id, issue.series.prefix),
            item,
            customer,
            existing_is_this=True,
        )

    # ------------------------------------------------------------------------------ credit notes

    def issue_credit_note(self, issue: CreditNoteIssue) -> StoredInvoice | None:
        note, credited, account, now = issue.note, issue.credited, issue.account, issue.now
        tenant_id = note.tenant_id
        try:
            current = InvoiceModel.get(tenant_id, credited.invoice_id, consistent_read=True)
        except DoesNotExist:
            return None
        if (
            dict(current.state or {}) != credited.state
            or int(current.amount_due) != credited.amount_due
            or current.status != credited.status
        ):
            return None  # a payment or another note came first: the caller computes again
        numbered: dict[str, Invoice] = {}  # the note as numbered by the attempt that commits

        def item(sequence: int) -> InvoiceModel:
            # A credit note asks for nothing, so it has no OCR reference.
            numbered["note"] = note.with_number(
                format_credit_note_number(issue.series_prefix, sequence), None
            )
            return self._item(numbered["note"], account, issue.page_token, sequence, now)

        def effects(tx: TransactWrite) -> None:
            due = credited.amount_due - issue.applied
            state = dict(credited.state)
            ref = CreditRef(
                invoice_id=note.invoice_id,
                number=numbered["note"].number,
                amount=-note.total,
                applied=issue.applied,
                to_balance=issue.to_balance,
                issued_at=now,
                issue_date=note.issue_date,
                page_token=issue.page_token,
            )
            state["credits"] = invoice_credits(credited.state).with_note(ref).to_record()
            if issue.payments is not None:
                state["payments"] = issue.payments
            seq = credited.event_seq + 1
            actions: list[Any] = [
                InvoiceModel.state.set(state),
                InvoiceModel.amount_due.set(due),
                InvoiceModel.version.add(1),
                InvoiceModel.event_seq.set(seq),
            ]
            status_after = credited.status
            if issue.applied and due == 0:
                # Nothing left to pay: out of the open index, so no reminder or debit follows.
                actions += [InvoiceModel.status.set("credited"), InvoiceModel.open_bucket.remove()]
                status_after = "credited"
            tx.update(
                InvoiceModel(tenant_id, credited.invoice_id),
                actions=actions,
                condition=InvoiceModel.version == int(current.version),
            )
            if issue.to_balance:
                tx.update(
                    CustomerModel(tenant_id, account.customer.id),
                    actions=[CustomerModel.balance.add(issue.to_balance)],
                    condition=CustomerModel.customer_id.exists(),
                )
            # The note's credit_note.issued on its own stream, and invoice.credited on the credited
            # invoice's (after its last event): the audit trail and the merchant hear both, once.
            add_event(tx, issued_event(numbered["note"], now, event_type="credit_note.issued"), now)
            add_event(
                tx,
                credited_event(
                    credited.invoice,
                    numbered["note"],
                    seq=seq,
                    before=(credited.amount_due, credited.amount_paid, credited.status),
                    applied=issue.applied,
                    to_balance=issue.to_balance,
                    status_after=status_after,
                    now=now,
                ),
                now,
            )

        return self._issue(
            note,
            credit_note_counter_id(tenant_id, issue.series_prefix),
            item,
            effects,
            existing_is_this=False,
        )

    # ------------------------------------------------------------------------------ shared

    @staticmethod
    def _item(
        invoice: Invoice, account: CustomerAccount, token: str, sequence: int, now: datetime
    ) -> InvoiceModel:
        item = DynamoInvoiceLedger._invoice_item(invoice, account, token, "", sequence, now)
        item.run_id = None  # issued by the merchant, not by a run
        return item

    def _issue(
        self,
        document: Invoice,
        counter_id: str,
        item_for: Callable[[int], InvoiceModel],
        effects: Callable[[TransactWrite], None],
        *,
        existing_is_this: bool,
    ) -> StoredInvoice | None:
        """The number allocation shared by both documents: counter, document and `effects` in one
        transaction, retried on a lost race. A document already stored under this id is the answer when
        `existing_is_this` (a retry), else a sign that the caller's view is stale (None)."""
        tenant_id = document.tenant_id
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                backoff(attempt)
            existing = self._ledger.get(tenant_id, document.invoice_id)
            if existing is not None:
                return existing if existing_is_this else None
            try:
                current = int(CounterModel.get(counter_id, consistent_read=True).value)
            except DoesNotExist:
                current = 0
            item = item_for(current + 1)
            try:
                with Transaction(connection=connection()) as tx:
                    tx.update(
                        CounterModel(counter_id),
                        actions=[CounterModel.value.set(current + 1)],
                        condition=CounterModel.value == current
                        if current
                        else CounterModel.counter_id.does_not_exist(),
                    )
                    tx.save(item, condition=InvoiceModel.invoice_id.does_not_exist())
                    effects(tx)
            except TransactWriteError as exc:
                codes = codes_as_added(exc, tx)
                if any(c == "ConditionalCheckFailed" for c in codes[2:]) and not any(
                    c == "ConditionalCheckFailed" for c in codes[:2]
                ):
                    return None  # the other item moved on (balance, invoice): nothing was written
                if {c for c in codes if c} <= _RACES:
                    continue  # a race for the number, or this very document: look again
                raise RetryableError(f"storing {document.kind} {document.invoice_id} failed: {exc}") from exc
            return stored_invoice(item)
        raise RetryableError("could not allocate a number: too much contention; retry later")
