"""The outbox events the dunning job writes in the same transaction as its state change
(billing.domain.outbox): `invoice.overdue` once, with the first action it takes on an invoice past its
due date (a reminder or a mandate retry), and `reminder.sent` with each reminder step it claims; and
`relief.chosen`, written with the customer's choice on the page (billing.services.relief). The
reminder's email, the page and the step in the invoice's trail are the event's effects, so a run that
fails or dies after the claim is finished by the next drive, and the customer gets one email per step."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from billing.domain.invoice import Invoice
from billing.domain.outbox import (
    EFFECT_AUDIT,
    EFFECT_MERCHANT,
    EFFECT_PAGE,
    EFFECT_REMINDER,
    OutboxEvent,
    invoice_stream,
)


def _common(invoice: Invoice, amount_due: int) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "customer_id": invoice.customer_id,
        "number": invoice.number,
        "currency": invoice.currency,
        "amount_due": amount_due,
        "due_date": invoice.due_date.isoformat(),
    }


def _event(
    tenant_id: str,
    invoice: Invoice,
    seq: int,
    event_type: str,
    now: datetime,
    payload: dict[str, Any],
    *effects: str,
) -> OutboxEvent:
    return OutboxEvent(
        tenant_id=tenant_id,
        stream=invoice_stream(invoice.invoice_id),
        seq=seq,
        event_type=event_type,
        occurred_at=now,
        payload=payload,
        effects=effects,
    )


def overdue_event(
    tenant_id: str, invoice: Invoice, *, amount_due: int, seq: int, today: date, now: datetime
) -> OutboxEvent:
    """The invoice is past its due date with money still owed: said once, by the dunning job."""
    payload = {**_common(invoice, amount_due), "days_overdue": (today - invoice.due_date).days}
    return _event(tenant_id, invoice, seq, "invoice.overdue", now, payload, EFFECT_MERCHANT)


def reminder_sent_event(
    tenant_id: str,
    invoice: Invoice,
    *,
    amount_due: int,
    seq: int,
    record: Mapping[str, Any],
    step: Mapping[str, Any],
    now: datetime,
) -> OutboxEvent:
    """Reminder `record` (state["dunning"]["reminders"]: step, sent_on, fee, interest, tone, the
    message's keys and parameters) was claimed; `step` is its entry in the invoice's trail (action,
    actor, details). The email itself is this event's `reminder` effect."""
    interest = record.get("interest_minor")
    payload = {
        **_common(invoice, amount_due),
        "reminder_step": int(record["step"]),
        "sent_on": str(record["sent_on"]),
        "tone": str(record["tone"]),
        "fee": int(record.get("fee_minor", 0)),
        "interest": None if interest is None else int(interest),
        "interest_through": str(record["interest_through"]),
        "step": dict(step),
    }
    effects = (EFFECT_AUDIT, EFFECT_PAGE, EFFECT_REMINDER, EFFECT_MERCHANT)
    return _event(tenant_id, invoice, seq, "reminder.sent", now, payload, *effects)


def relief_chosen_event(
    tenant_id: str,
    invoice: Invoice,
    *,
    amount_due: int,
    seq: int,
    choice: str,
    due_date_moved_to: date | None = None,
    instalments: tuple[Mapping[str, Any], ...] = (),
    customer_id: str,
    now: datetime,
) -> OutboxEvent:
    """The customer chose relief on the page: `choice` "move" (the due date, once) or "split" (into
    `instalments`: each invoice_id, number, amount, due_date). Written with the choice itself."""
    payload = {
        **_common(invoice, amount_due),
        "choice": choice,
        "due_date_moved_to": due_date_moved_to.isoformat() if due_date_moved_to else None,
        "instalments": [
            {
                "invoice_id": str(i["invoice_id"]),
                "number": int(i["number"]),
                "amount": int(i["amount"]),
                "due_date": str(i["due_date"]),
            }
            for i in instalments
        ],
        "step": {"action": f"relief_{choice}", "actor": "customer", "details": {"by": customer_id}},
    }
    return _event(tenant_id, invoice, seq, "relief.chosen", now, payload, EFFECT_MERCHANT)
