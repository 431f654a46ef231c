"""The outbox events that report a change besides an invoice's money (billing.domain.outbox), and the
stream each is ordered on:

- `question.asked`, `question.answered`: on the invoice's stream (`invoice#<id>`), numbered by the
  invoice's `event_seq` like its payments, so a merchant hears a question after the invoice it is about
  and an answer after its question;
- `mandate.approved`, `mandate.cancelled`, `subscription.changed`: on the customer's stream
  (`customer#<id>`), numbered by the customer item's own `event_seq`: what a customer agreed to pay by,
  and on which plan, in the order it happened, whatever invoice it concerns (if any);
- `usage.rejected`: on the ingestion batch's own stream (`usage#<batch id>`, one event per batch), so
  rejections never serialise usage ingestion's hot path on a shared counter.

A change that is written where the stream's sequence is not known yet (the adapter reads it inside its
own retry loop) is described by an `EventDraft`; the adapter numbers it with `numbered` in the write
that carries it. The only effect of these events is the merchant's: what the customer sees of them
(the answer's email, the page) is done by the use case that made the change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from billing.domain.catalog import Subscription
from billing.domain.invoice import Invoice
from billing.domain.outbox import EFFECT_MERCHANT, OutboxEvent, invoice_stream
from billing.domain.payments import Mandate, MandateStatus

USAGE_BATCH_SEQ = 1  # a batch's stream holds exactly one event: its rejections


def customer_stream(customer_id: str) -> str:
    return f"customer#{customer_id}"


def usage_stream(batch_id: str) -> str:
    return f"usage#{batch_id}"


@dataclass(frozen=True)
class EventDraft:
    """An event whose stream and sequence the writing adapter assigns (it reads the stream's last
    sequence in the same retry loop as the change, and sets it in the change's transaction)."""

    event_type: str
    occurred_at: datetime  # timezone-aware
    payload: dict[str, Any]
    # What follows the commit besides telling the merchant, and what those effects need
    # (billing.domain.outbox): a card mandate's event also has the customer's open invoices follow it.
    effects: tuple[str, ...] = (EFFECT_MERCHANT,)
    context: dict[str, Any] = field(default_factory=dict)

    def numbered(self, tenant_id: str, stream: str, seq: int) -> OutboxEvent:
        return OutboxEvent(
            tenant_id=tenant_id,
            stream=stream,
            seq=seq,
            event_type=self.event_type,
            occurred_at=self.occurred_at,
            payload=self.payload,
            effects=self.effects,
            context=self.context,
        )


# questions (the invoice's stream) -----------------------------------------------------------------


def _question_common(invoice: Invoice, question_id: str) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "customer_id": invoice.customer_id,
        "number": invoice.number,
        "question_id": question_id,
    }


def question_asked_draft(invoice: Invoice, question: Mapping[str, Any], now: datetime) -> EventDraft:
    """`question`: question_id, asked_at, text, line_id (the page's stored question)."""
    payload = {
        **_question_common(invoice, str(question["question_id"])),
        "line_id": question.get("line_id"),
        "text": str(question["text"]),
        "asked_at": str(question["asked_at"]),
    }
    return EventDraft("question.asked", now, payload)


def question_answered_draft(
    invoice: Invoice, question_id: str, answer: str, *, all_answered: bool, now: datetime
) -> EventDraft:
    payload = {
        **_question_common(invoice, question_id),
        "answer": answer,
        "answered_at": now.isoformat(),
        "all_answered": all_answered,
    }
    return EventDraft("question.answered", now, payload)


def on_invoice(draft: EventDraft, tenant_id: str, invoice_id: str, seq: int) -> OutboxEvent:
    return draft.numbered(tenant_id, invoice_stream(invoice_id), seq)


# mandates (the customer's stream) -----------------------------------------------------------------


def mandate_approved_draft(
    customer_id: str, *, method: str, reference: str, invoice_id: str | None, now: datetime
) -> EventDraft:
    """`method` card | autogiro; `reference` the Stripe mandate (or payment method) id, or the
    Autogiro payer number: references the merchant can look up, never the account or personnummer."""
    payload = {
        "customer_id": customer_id,
        "method": method,
        "reference": reference,
        "invoice_id": invoice_id,
        "status": "approved",
        "by": "stripe" if method == "card" else "bankgirot",
        "reason": None,
    }
    return EventDraft("mandate.approved", now, payload)


def mandate_cancelled_draft(
    customer_id: str,
    *,
    method: str,
    reference: str,
    invoice_id: str | None,
    status: str,
    by: str,
    reason: str | None,
    now: datetime,
) -> EventDraft:
    """`status` cancelled | cancel_pending (Autogiro: removed in the next file) | rejected (never
    approved); `by` customer | operator | stripe | bankgirot; `reason` the provider's code, if any."""
    payload = {
        "customer_id": customer_id,
        "method": method,
        "reference": reference,
        "invoice_id": invoice_id,
        "status": status,
        "by": by,
        "reason": reason,
    }
    return EventDraft("mandate.cancelled", now, payload)


# subscriptions (the customer's stream) ------------------------------------------------------------

SUBSCRIPTION_CHANGES = (
    "started",
    "plan_changed",  # now, with a plan-change invoice (`invoice_id`)
    "plan_change_scheduled",  # from a later day (the next period), nothing invoiced now
    "plan_change_dropped",  # a scheduled change taken back: the customer stays
    "cancelled",
    "paused",
)


def subscription_changed_draft(
    subscription: Subscription,
    *,
    change: str,
    effective_date: date,
    previous_plan: str | None,
    version: int,
    now: datetime,
    invoice_id: str | None = None,
) -> EventDraft:
    """`subscription` as stored after the change, at `version`; `effective_date` the first local day
    it applies to."""
    if change not in SUBSCRIPTION_CHANGES:
        raise ValueError(f"unknown subscription change {change!r}")
    payload = {
        "customer_id": subscription.customer_id,
        "subscription_id": subscription.id,
        "change": change,
        "effective_date": effective_date.isoformat(),
        # None when the subscription has ended by then (a cancellation's effective day is its end)
        "plan": subscription.plan_code_on(effective_date),
        "previous_plan": previous_plan,
        "phases": [{"plan": p.plan_code, "start": p.start.isoformat()} for p in subscription.phases],
        "end_date": subscription.end_date.isoformat() if subscription.end_date else None,
        "pauses": [{"start": p.start.isoformat(), "end": p.end.isoformat()} for p in subscription.pauses],
        "version": version,
        "invoice_id": invoice_id,
    }
    return EventDraft("subscription.changed", now, payload)


# usage (the batch's stream) -----------------------------------------------------------------------


def usage_batch_id(tenant_id: str, idempotency_key: str | None, batch: str) -> str:
    """The request's Idempotency-Key when it sent one, otherwise a digest of the batch itself (`batch`:
    its canonical text): the same batch sent again names the same stream, so its rejections are
    reported once."""
    if idempotency_key:
        basis = f"key\x1f{tenant_id}\x1f{idempotency_key}"
    else:
        basis = f"batch\x1f{tenant_id}\x1f{batch}"
    return "ub_" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def usage_rejected_event(
    tenant_id: str,
    batch_id: str,
    *,
    rejected: Sequence[Mapping[str, Any]],
    accepted: int,
    duplicates: int,
    now: datetime,
) -> OutboxEvent:
    """`rejected`: each rejected event's index in the batch, id, customer_id, reason, field, message."""
    payload = {
        "batch_id": batch_id,
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": [
            {
                "index": int(r["index"]),
                "id": r.get("id"),
                "customer_id": r.get("customer_id"),
                "reason": str(r["reason"]),
                "field": r.get("field"),
                "message": r.get("message"),
            }
            for r in rejected
        ],
    }
    return EventDraft("usage.rejected", now, payload).numbered(
        tenant_id, usage_stream(batch_id), USAGE_BATCH_SEQ
    )


# card mandates: which change of the stored mandate the merchant hears of ---------------------------


def card_mandate_draft(
    customer_id: str,
    before: Mandate | None,
    after: Mandate,
    *,
    invoice_id: str | None,
    by: str,
    reason: str | None,
    now: datetime,
) -> EventDraft | None:
    """mandate.approved when `after` is a usable mandate the customer did not have before (a first one,
    or a new payment method replacing the old); mandate.cancelled when a mandate that was not ended
    yet became inactive (final: billing.domain.payments.advance_mandate). Nothing otherwise: a
    redelivered or out-of-order event that changes nothing reports nothing."""
    reference = after.mandate_ref or after.payment_method_ref
    same = before is not None and before.payment_method_ref == after.payment_method_ref
    if after.status is MandateStatus.ACTIVE and not (
        same and before and before.status is MandateStatus.ACTIVE
    ):
        return mandate_approved_draft(
            customer_id, method="card", reference=reference, invoice_id=invoice_id, now=now
        )
    if after.status is MandateStatus.INACTIVE and not (
        same and before and before.status is MandateStatus.INACTIVE
    ):
        return mandate_cancelled_draft(
            customer_id,
            method="card",
            reference=reference,
            invoice_id=invoice_id,
            status="cancelled",
            by=by,
            reason=reason,
            now=now,
        )
    return None


# Autogiro mandates: which status change the merchant hears of ---------------------------------------

AUTOGIRO_ENDED = ("rejected", "cancel_pending", "cancelled")


def autogiro_mandate_draft(
    customer_id: str,
    *,
    payer_number: str,
    invoice_id: str | None,
    before: str,
    after: str,
    by: str,
    reason: str | None,
    now: datetime,
) -> EventDraft | None:
    """`before`, `after`: the mandate's status (billing.services.autogiro.model.MandateStatus values).
    mandate.approved when it becomes approved; mandate.cancelled when it first ends (rejected, to be
    removed in the next file, cancelled); nothing for a step in between or an answer read again (a
    report imported a second time finds the status set already)."""
    if after == "approved" and before != "approved":
        return mandate_approved_draft(
            customer_id, method="autogiro", reference=payer_number, invoice_id=invoice_id, now=now
        )
    if after in AUTOGIRO_ENDED and before not in AUTOGIRO_ENDED:
        return mandate_cancelled_draft(
            customer_id,
            method="autogiro",
            reference=payer_number,
            invoice_id=invoice_id,
            status=after,
            by=by,
            reason=reason,
            now=now,
        )
    return None
