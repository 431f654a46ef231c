"""Credit an invoice (`POST /v1/invoices/{id}/credit_notes`, `billing creditnote create`): the whole of
what is left, or lines by quantity or amount. `preview=True` answers the note that would be issued and
writes nothing.

The note is computed by the engine (billing.domain.credit) from the invoice and every earlier note of
it, so the notes of one invoice never credit more than it carried, line by line, per VAT rate and in
total. A retry is recognised by its request key (the Idempotency-Key), kept on the note: the same
request again finds the note it issued and finishes its delivery instead of issuing a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from billing.domain.credit import amount_for_quantity, credit_note
from billing.domain.invoice import CREDIT_NOTE, Invoice
from billing.domain.invoice_credits import invoice_credits
from billing.domain.payments import InvoicePayments
from billing.domain.pricing_errors import CreditError
from billing.services.credit_notes.fields import CreditNoteCreate, CreditNoteResult
from billing.services.credit_notes.get import credit_refs, note_view
from billing.services.credit_notes.ports import CreditNoteIssue, CreditNoteLedger, PagePublisher
from billing.services.errors import PermanentError
from billing.services.ports import Clock, CustomerAccount, StoredInvoice, TenantDirectory
from billing.services.settlement import payments_of
from billing.services.subscriptions.documents import SubscriptionConflict, invoice_view, today_for
from billing.services.subscriptions.ports import InvoiceDelivery, Tokens

# A concurrent payment or note changes the invoice between our read and our transaction: read again.
ATTEMPTS = 8
# Statuses whose amount due a note may lower or whose credit goes to the balance; a split invoice is
# paid through its instalments and a void one is not owed at all.
CREDITABLE = ("open", "paid", "credited")


class CreditRefused(PermanentError):
    """More than is left, a line credited already, an invoice that cannot be credited (HTTP 409)."""


def request_tag(request_key: str) -> str:
    """What a note keeps of the request that issued it (not the key itself: it may be a secret)."""
    return hashlib.sha256(request_key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CreateCreditNote:
    ledger: CreditNoteLedger
    tenants: TenantDirectory
    delivery: InvoiceDelivery
    pages: PagePublisher
    tokens: Tokens
    clock: Clock

    def __call__(
        self,
        tenant_id: str,
        invoice_id: str,
        request: CreditNoteCreate,
        *,
        request_key: str,
        preview: bool = False,
    ) -> CreditNoteResult:
        tag = request_tag(request_key)
        for _ in range(ATTEMPTS):
            stored = self._creditable(tenant_id, invoice_id)
            notes = self._notes(tenant_id, stored)
            account = self.ledger.account(tenant_id, stored.invoice.customer_id)
            if account is None:
                raise SubscriptionConflict(
                    "the invoice's customer has no subscription any more", field="invoice_id"
                )
            tenant = self.tenants.get(tenant_id)
            mine = next((n for n in notes if n.invoice.extra.get("request") == tag), None)
            if mine is not None:
                # This very request issued it before and may have stopped before its effects.
                return self._delivered(mine, stored, tenant, account)
            now = self.clock.now()
            try:
                note = credit_note(
                    stored.invoice,
                    issue_date=today_for(account.customer, now),
                    amounts=_amounts(stored.invoice, request),
                    previous=[n.invoice for n in notes],
                    reason=request.reason or "",
                )
            except CreditError as error:
                raise CreditRefused(error.reason, field=_field(error.field, request)) from None
            note = replace(note, extra={**note.extra, "request": tag})
            credit = -note.total
            applied = min(credit, max(stored.amount_due, 0)) if stored.status == "open" else 0
            if preview:
                return _result(True, note, None, stored, applied, credit - applied)
            issued = self.ledger.issue_credit_note(
                CreditNoteIssue(
                    note=note,
                    credited=stored,
                    account=account,
                    applied=applied,
                    to_balance=credit - applied,
                    payments=_payments_after(stored, applied),
                    page_token=self.tokens.page_token(),
                    now=now,
                    series_prefix=tenant.settings.invoice_series_prefix,
                )
            )
            if issued is not None:
                return self._delivered(issued, stored, tenant, account)
        raise SubscriptionConflict("the invoice kept changing; try again", field="invoice_id")

    def _creditable(self, tenant_id: str, invoice_id: str) -> StoredInvoice:
        stored = self.ledger.get(tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id!r}", field="invoice_id", code="not_found")
        if stored.invoice.kind == CREDIT_NOTE:
            raise CreditRefused(
                "a credit note cannot be credited; issue an invoice instead", field="invoice_id"
            )
        if stored.status not in CREDITABLE:
            raise CreditRefused(f"an invoice that is {stored.status} cannot be credited", field="invoice_id")
        return stored

    def _notes(self, tenant_id: str, stored: StoredInvoice) -> list[StoredInvoice]:
        notes = [self.ledger.get(tenant_id, ref.invoice_id) for ref in credit_refs(stored)]
        return [n for n in notes if n is not None]

    def _delivered(
        self, note: StoredInvoice, before: StoredInvoice, tenant: Any, account: CustomerAccount
    ) -> CreditNoteResult:
        """After the commit: the credited invoice's page (new amount due, the note listed) and the
        note's own page, PDF and email, each once; the same request again repeats what is missing."""
        credited = self.ledger.get(before.tenant_id, before.invoice_id) or before
        self.pages.publish(credited)
        self.delivery.deliver(note, tenant, account)
        ref = invoice_credits(credited.state).note(note.invoice_id)
        return _result(
            False, note.invoice, note, credited, ref.applied if ref else 0, ref.to_balance if ref else 0
        )


def _amounts(invoice: Invoice, request: CreditNoteCreate) -> dict[str, int] | None:
    if request.lines is None:
        return None
    amounts: dict[str, int] = {}
    for i, line in enumerate(request.lines):
        if line.line_id in amounts:
            raise PermanentError("this line is named twice", field=f"lines[{i}].line_id")
        found = invoice.line(line.line_id)
        if found is None:
            raise PermanentError("no such line on the invoice", field=f"lines[{i}].line_id")
        if line.quantity is not None:
            try:
                amounts[line.line_id] = amount_for_quantity(
                    found, Decimal(line.quantity), f"lines[{i}].quantity"
                )
            except CreditError as error:
                raise PermanentError(error.reason, field=error.field) from None
        else:
            assert line.amount is not None  # the model asks for one of the two
            amounts[line.line_id] = line.amount
    return amounts


def _field(engine_field: str, request: CreditNoteCreate) -> str:
    """The engine names `amounts.<line id>`; the caller sent `lines[i]`."""
    if engine_field.startswith("amounts.") and request.lines:
        line_id = engine_field.removeprefix("amounts.")
        for i, line in enumerate(request.lines):
            if line.line_id == line_id:
                return f"lines[{i}].{'quantity' if line.quantity is not None else 'amount'}"
    return "lines" if engine_field == "amounts" else engine_field


def _payments_after(stored: StoredInvoice, applied: int) -> dict[str, Any] | None:
    """The invoice's payment record owing `applied` less: a later payment is then measured against
    what is really due (a first payment would otherwise start from the document's amount)."""
    if not applied:
        return None
    payments = payments_of(stored)
    lowered: InvoicePayments = replace(payments, invoice_total=payments.invoice_total - applied)
    return lowered.to_record()


def _result(
    preview: bool,
    note: Invoice,
    stored_note: StoredInvoice | None,
    credited: StoredInvoice,
    applied: int,
    to_balance: int,
) -> CreditNoteResult:
    shown = credited
    if preview:
        due = credited.amount_due - applied
        shown = replace(
            credited, amount_due=due, status="credited" if applied and due == 0 else credited.status
        )
    return CreditNoteResult(
        preview=preview,
        credit_note=note_view(note, stored_note, applied, to_balance),
        invoice=invoice_view(shown.invoice, shown),
    )
