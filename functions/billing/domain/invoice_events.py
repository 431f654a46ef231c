"""The outbox event an issued document writes in its issuing transaction (billing.domain.outbox):
`invoice.issued` for an invoice, and the same shape for any document with an amount (a credit note
adds its own type with `issued_event(..., event_type="credit_note.issued")`)."""

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
