"""The outbox events an issued document writes in its issuing transaction (billing.domain.outbox):
`invoice.issued` for an invoice (a run's, a plan change's, a one-off), `credit_note.issued` for a
credit note on its own stream, and `invoice.credited` on the stream of the invoice a note lowers (what
it is owed, before and after, and what went to the customer's balance)."""

from __future__ import annotations

from datetime import datetime

from billing.domain.audit_trail import invoice_money
from billing.domain.invoice import Invoice
from billing.domain.outbox import EFFECT_AUDIT, EFFECT_MERCHANT, OutboxEvent, invoice_stream

ISSUED_SEQ = 1  # a document's first event: it is put with the document itself


def issued_event(invoice: Invoice, now: datetime, *, event_type: str = "invoice.issued") -> OutboxEvent:
    status = "open" if invoice.amount_due > 0 else "paid"
    period = (
        {"start": invoice.period.start.isoformat(), "end": invoice.period.end.isoformat()}
        if invoice.period
        else None
    )
    return OutboxEvent(
        tenant_id=invoice.tenant_id,
        stream=invoice_stream(invoice.invoice_id),
        seq=ISSUED_SEQ,
        event_type=event_type,
        occurred_at=now,
        payload={
            "invoice_id": invoice.invoice_id,
            "customer_id": invoice.customer_id,
            "number": invoice.number,
            "kind": invoice.kind,
            "credits": invoice.credited_invoice_id,
            "currency": invoice.currency,
            "total": invoice.total,
            "balance_applied": invoice.balance_applied,
            "amount_due": invoice.amount_due,
            "amount_paid": 0,
            "status": status,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "period": period,
            "money": {
                "actor": "system",
                "reason": "issued",
                "before": invoice_money(0, 0, "none"),
                "after": invoice_money(invoice.amount_due, 0, status),
                # Credit the customer had, taken by this invoice in the same transaction.
                "to_balance": -invoice.balance_applied,
            },
        },
        effects=(EFFECT_AUDIT, EFFECT_MERCHANT),
    )


def credited_event(
    invoice: Invoice,
    note: Invoice,
    *,
    seq: int,
    before: tuple[int, int, str],
    applied: int,
    to_balance: int,
    status_after: str,
    now: datetime,
) -> OutboxEvent:
    """What a credit note did to the invoice it credits: `applied` off what it is owed (`before` is its
    amount due, amount paid and status), `to_balance` to the customer's balance (a note beyond what was
    still owed). `seq` follows the invoice's last event, in the note's issuing transaction."""
    due, paid, status = before
    return OutboxEvent(
        tenant_id=invoice.tenant_id,
        stream=invoice_stream(invoice.invoice_id),
        seq=seq,
        event_type="invoice.credited",
        occurred_at=now,
        payload={
            "invoice_id": invoice.invoice_id,
            "customer_id": invoice.customer_id,
            "number": invoice.number,
            "currency": invoice.currency,
            "amount_due": due - applied,
            "amount_paid": paid,
            "status": status_after,
            "credit_note_id": note.invoice_id,
            "credit_note_number": note.number,
            "credited": applied,
            "to_balance": to_balance,
            "money": {
                "actor": "merchant",
                "reason": "credit_note_issued",
                "before": invoice_money(due, paid, status),
                "after": invoice_money(due - applied, paid, status_after),
                "to_balance": to_balance,
            },
        },
        effects=(EFFECT_AUDIT, EFFECT_MERCHANT),
    )
