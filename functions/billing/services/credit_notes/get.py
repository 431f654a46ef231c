"""Read credit notes: one (`GET /v1/credit_notes/{id}`), or every note of an invoice
(`GET /v1/invoices/{id}/credit_notes`, oldest first). Another tenant's are as absent as none."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.invoice import CREDIT_NOTE, Invoice
from billing.domain.invoice_credits import CreditRef, invoice_credits
from billing.domain.page.context import CreditNoteRef
from billing.services.credit_notes.fields import CreditNoteList, CreditNoteView
from billing.services.errors import PermanentError
from billing.services.invoices.ports import InvoiceReads
from billing.services.ports import StoredInvoice


def credit_refs(stored: StoredInvoice) -> tuple[CreditRef, ...]:
    """The notes issued against an invoice, as its item lists them (oldest first)."""
    return invoice_credits(stored.state).notes


def page_credit_notes(stored: StoredInvoice) -> tuple[CreditNoteRef, ...]:
    """The merchant's credit notes of an invoice for its page (`InvoiceState.credit_notes`), each
    linking its own page."""
    return tuple(
        CreditNoteRef(
            number=str(ref.number), amount=ref.amount, issued_on=ref.issue_date, page_token=ref.page_token
        )
        for ref in credit_refs(stored)
    )


def note_view(note: Invoice, stored: StoredInvoice | None, applied: int, to_balance: int) -> CreditNoteView:
    return CreditNoteView(
        id=note.invoice_id,
        number=note.number,
        invoice_id=note.credited_invoice_id or "",
        invoice_number=note.credited_invoice_number,
        customer_id=note.customer_id,
        issue_date=note.issue_date.isoformat(),
        currency=note.currency,
        total=note.total,
        vat_total=note.vat_total,
        applied_to_invoice=applied,
        to_balance=to_balance,
        page_token=stored.page_token if stored is not None else None,
        document=note.to_dict(),
    )


@dataclass(frozen=True)
class GetCreditNote:
    invoices: InvoiceReads

    def __call__(self, tenant_id: str, credit_note_id: str) -> CreditNoteView:
        note = self.invoices.get(tenant_id, credit_note_id)
        if note is None or note.invoice.kind != CREDIT_NOTE or note.invoice.credited_invoice_id is None:
            raise PermanentError(
                f"no credit note {credit_note_id!r}", field="credit_note_id", code="not_found"
            )
        credited = self.invoices.get(tenant_id, note.invoice.credited_invoice_id)
        return _view(note, credited)

    def of_invoice(self, tenant_id: str, invoice_id: str) -> CreditNoteList:
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id!r}", field="invoice_id", code="not_found")
        notes = [self.invoices.get(tenant_id, ref.invoice_id) for ref in credit_refs(stored)]
        return CreditNoteList(data=[_view(n, stored) for n in notes if n is not None], next_cursor=None)


def _view(note: StoredInvoice, credited: StoredInvoice | None) -> CreditNoteView:
    ref = invoice_credits(credited.state).note(note.invoice_id) if credited is not None else None
    return note_view(note.invoice, note, ref.applied if ref else 0, ref.to_balance if ref else 0)
