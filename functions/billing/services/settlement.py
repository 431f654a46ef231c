"""Settling invoices from payment facts, whoever reports them (Stripe webhooks, Autogiro report files).

A provider event becomes a domain payment event (`billing.domain.payments`); `ApplyPaymentEvent`
applies it to the invoice's payment aggregate and stores, in the same transaction, one outbox event
naming what must follow (the money audit entry, the customer's balance for an overpayment, the
re-rendered page, the receipt, the merchant's events). Those effects are then driven from the outbox,
each until it has succeeded once (billing.services.outbox): a failure after the commit is finished by
the next drive, which the provider's redelivery of the same event also makes. The aggregate is stored
with an optimistic version check, so two deliveries of related events at once cannot lose each other's
effect; the same event twice changes nothing because the aggregate itself has already taken it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing.domain.audit_trail import invoice_money
from billing.domain.outbox import (
    EFFECT_AUDIT,
    EFFECT_BALANCE,
    EFFECT_INSTALMENT,
    EFFECT_MERCHANT,
    EFFECT_PAGE,
    EFFECT_RECEIPT,
    OutboxEvent,
    invoice_stream,
)
from billing.domain.payments import (
    DomainPaymentEvent,
    InvoicePayments,
    InvoicePaymentStatus,
    PaymentFailed,
    PaymentOutcome,
    apply_event,
)
from billing.services.errors import PermanentError, RetryableError
from billing.services.outbox import DriveOutbox
from billing.services.ports import (
    Clock,
    CustomerAccount,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
)

SAVE_ATTEMPTS = 20


class PaymentStore(Protocol):
    def save_payments(
        self,
        stored: StoredInvoice,
        payments: InvoicePayments,
        *,
        paid_at: datetime | None,
        disputed: bool,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        """Store the aggregate, the amounts it implies and `events` (the outbox: the invoice's next
        sequence numbers) in one transaction, only if the invoice is unchanged since `stored` was read
        (its version). False when someone else changed it first."""
        ...


class ReceiptSender(Protocol):
    def send_receipt(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, amount: int
    ) -> None: ...


@dataclass(frozen=True)
class PaymentApplied:
    stored: StoredInvoice
    outcome: PaymentOutcome | None  # None: the event changed nothing


def payments_of(stored: StoredInvoice) -> InvoicePayments:
    record = stored.state.get("payments")
    if record:
        return InvoicePayments.from_record(record)
    return InvoicePayments(invoice_total=stored.invoice.amount_due, currency=stored.invoice.currency)


@dataclass(kw_only=True, eq=False)
class ApplyPaymentEvent:
    invoices: StoredInvoices
    payments: PaymentStore
    # What follows a committed payment (audit, balance, page, receipt, the parent of a paid
    # instalment, the merchant's events) is written as one outbox event in the payment's own
    # transaction and driven from there (billing.services.outbox).
    effects: DriveOutbox
    clock: Clock

    def __call__(
        self, tenant_id: str, invoice_id: str, event: DomainPaymentEvent, source: str
    ) -> PaymentApplied:
        for _ in range(SAVE_ATTEMPTS):
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is None:
                raise PermanentError(f"no invoice {invoice_id} for this tenant", field="invoice_id")
            outcome = apply_event(payments_of(stored), event)
            if not outcome.changed:
                # Already applied; but a failure after that commit may have left its effects undone:
                # this redelivery finishes them.
                self.effects.stream(tenant_id, invoice_stream(invoice_id))
                return PaymentApplied(stored, None)
            aggregate = outcome.payments
            paid_at = event.occurred_at if aggregate.status is InvoicePaymentStatus.PAID else None
            record = payment_event(stored, outcome, event, source)
            if self.payments.save_payments(
                stored, aggregate, paid_at=paid_at, disputed=aggregate.disputed, events=(record,)
            ):
                break
        else:
            raise RetryableError("the invoice kept changing while a payment was applied; retry")
        self.effects.stream(tenant_id, invoice_stream(invoice_id))
        return PaymentApplied(self.invoices.get(tenant_id, invoice_id) or stored, outcome)


def payment_event_type(outcome: PaymentOutcome, event: DomainPaymentEvent) -> str:
    """The merchant's name for what a payment event did to the invoice (docs/events.md)."""
    if outcome.reversed_amount:
        return "payment.reversed"
    if outcome.dispute_opened:
        return "payment.disputed"
    if outcome.dispute_closed:
        return "payment.dispute_closed"
    if outcome.credit_note_amount:
        return "payment.refunded"
    if outcome.settled_amount:
        paid = outcome.payments.status is InvoicePaymentStatus.PAID
        return "invoice.paid" if paid else "invoice.partially_paid"
    if isinstance(event, PaymentFailed):
        return "payment.failed"
    return "payment.updated"


def _step_action(outcome: PaymentOutcome) -> str:
    """The step's name in the invoice's trail (InvoiceEvents), as it has always been written."""
    if outcome.reversed_amount:
        # Taken back (a returned debit, a lost dispute): owed again; the reminder flow takes over.
        return "payment_reversed"
    if outcome.dispute_opened:
        return "dispute_opened"
    if outcome.dispute_closed:
        return "dispute_closed"
    if outcome.credit_note_amount:
        return "refund_issued"
    return "payment_received" if outcome.settled_amount else "payment_updated"


def payment_event(
    stored: StoredInvoice, outcome: PaymentOutcome, event: DomainPaymentEvent, source: str
) -> OutboxEvent:
    """The outbox event of one applied payment fact, with the effects it asks for. Built from the state
    the transaction is conditional on, so its sequence and its before/after are exact."""
    aggregate = outcome.payments
    status_after = "paid" if aggregate.amount_due == 0 else "open"
    details = {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "settled": outcome.settled_amount,
        "excess_to_balance": outcome.excess_for_balance,
        "refunded": outcome.credit_note_amount,
        "status": aggregate.status.value,
        "reversed": outcome.reversed_amount,
    }
    action = _step_action(outcome)
    parent = (stored.state.get("dunning") or {}).get("instalment_of")
    effects = [EFFECT_AUDIT, EFFECT_PAGE, EFFECT_MERCHANT]
    if outcome.excess_for_balance:
        effects.append(EFFECT_BALANCE)
    if outcome.settled_amount:
        effects.append(EFFECT_RECEIPT)
    if parent and status_after == "paid":
        effects.append(EFFECT_INSTALMENT)
    return OutboxEvent(
        tenant_id=stored.tenant_id,
        stream=invoice_stream(stored.invoice_id),
        seq=stored.event_seq + 1,
        event_type=payment_event_type(outcome, event),
        occurred_at=event.occurred_at,
        payload={
            "invoice_id": stored.invoice_id,
            "customer_id": stored.invoice.customer_id,
            "number": stored.invoice.number,
            "currency": stored.invoice.currency,
            "amount_due": aggregate.amount_due,
            "amount_paid": aggregate.amount_paid,
            "status": status_after,
            "settled": outcome.settled_amount,
            "refunded": outcome.credit_note_amount,
            "reversed": outcome.reversed_amount,
            "disputed": aggregate.disputed,
            "source": source,
            "source_event_id": event.event_id,
            "instalment_of": parent,
            "money": {
                "actor": source,
                "reason": action,
                "before": invoice_money(stored.amount_due, stored.amount_paid, stored.status),
                "after": invoice_money(aggregate.amount_due, aggregate.amount_paid, status_after),
                "to_balance": outcome.excess_for_balance,
            },
            "step": {"action": action, "actor": source, "details": details},
        },
        effects=tuple(effects),
    )
