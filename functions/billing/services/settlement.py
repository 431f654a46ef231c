"""Settling invoices from payment facts, whoever reports them (Stripe webhooks, Autogiro report files).

A provider event becomes a domain payment event (`billing.domain.payments`); `ApplyPaymentEvent`
applies it to the invoice's payment aggregate and carries out each effect exactly once:
the invoice's amounts and status, the customer's balance for an overpayment, the audit trail, the
re-rendered page and the receipt email. The aggregate is stored with an optimistic version check, so
two deliveries of related events at once cannot lose each other's effect; the same event twice is a
no-op because the aggregate itself has already taken it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing.domain.payments import (
    DomainPaymentEvent,
    InvoicePayments,
    InvoicePaymentStatus,
    PaymentOutcome,
    apply_event,
)
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    InvoiceLedger,
    StoredInvoice,
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
    ) -> bool:
        """Store the aggregate and the amounts it implies, only if the invoice is unchanged since
        `stored` was read (its version). False when someone else changed it first."""
        ...

    def credit_balance(self, tenant_id: str, customer_id: str, amount: int) -> None: ...


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


class ApplyPaymentEvent:
    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        payments: PaymentStore,
        pages: InvoicePages,
        receipts: ReceiptSender,
        audit: AuditTrail,
        clock: Clock,
        instalment_paid: Callable[[str, str], object] | None = None,
    ) -> None:
        self.invoices = invoices
        self.payments = payments
        self.pages = pages
        self.receipts = receipts
        self.audit = audit
        self.clock = clock
        # Called with (tenant, parent invoice) when an instalment of a split invoice is paid in full:
        # the dunning module updates the parent's plan and page (billing.services.dunning).
        self.instalment_paid = instalment_paid

    def __call__(
        self, tenant_id: str, invoice_id: str, event: DomainPaymentEvent, source: str
    ) -> PaymentApplied:
        for _ in range(SAVE_ATTEMPTS):
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is None:
                raise PermanentError(f"no invoice {invoice_id} for this tenant", field="invoice_id")
            outcome = apply_event(payments_of(stored), event)
            if not outcome.changed:
                return PaymentApplied(stored, None)
            aggregate = outcome.payments
            paid_at = event.occurred_at if aggregate.status is InvoicePaymentStatus.PAID else None
            if self.payments.save_payments(stored, aggregate, paid_at=paid_at, disputed=aggregate.disputed):
                break
        else:
            raise RetryableError("the invoice kept changing while a payment was applied; retry")
        return PaymentApplied(self._effects(stored, outcome, event, source), outcome)

    def _effects(
        self, before: StoredInvoice, outcome: PaymentOutcome, event: DomainPaymentEvent, source: str
    ) -> StoredInvoice:
        tenant_id, invoice_id = before.tenant_id, before.invoice_id
        stored = self.invoices.get(tenant_id, invoice_id) or before
        tenant, account = self.pages.load(stored)
        now = self.clock.now()
        if outcome.excess_for_balance:
            self.payments.credit_balance(tenant_id, account.customer.id, outcome.excess_for_balance)
        details = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "settled": outcome.settled_amount,
            "excess_to_balance": outcome.excess_for_balance,
            "refunded": outcome.credit_note_amount,
            "status": outcome.payments.status.value,
            "reversed": outcome.reversed_amount,
        }
        action = "payment_received" if outcome.settled_amount else "payment_updated"
        if outcome.reversed_amount:
            # Taken back (a returned debit, a lost dispute): owed again; the reminder flow takes over.
            action = "payment_reversed"
        elif outcome.dispute_opened:
            action = "dispute_opened"
        elif outcome.dispute_closed:
            action = "dispute_closed"
        elif outcome.credit_note_amount:
            action = "refund_issued"
        self.audit.append(tenant_id, invoice_id, AuditEvent(action, source, now, details))
        self.pages.publish(stored, tenant, account)
        if outcome.settled_amount:
            self.receipts.send_receipt(stored, tenant, account, outcome.settled_amount)
        parent = (stored.state.get("dunning") or {}).get("instalment_of")
        if parent and stored.status == "paid" and self.instalment_paid is not None:
            self.instalment_paid(tenant_id, str(parent))
        return stored
