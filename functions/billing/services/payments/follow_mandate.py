"""A card mandate began or ended: the customer's open invoices follow it, driven from its outbox event.

Stripe's mandate events change the customer's record and write `mandate.approved` or
`mandate.cancelled` in one transaction (billing.services.payments.process_stripe_event). What follows
(each open invoice marked to be charged on its due date, or handed back to the customer with one
email saying why; the change of method recorded and confirmed) is the event's `autopay` effect,
driven by billing.services.outbox until it is done: a processor that dies after the commit leaves it
pending, and the next drive (the event's redelivery, the outbox's stream, the sweep) finishes it.
The merchant hears of the mandate only after its invoices follow it.

Each step is safe to repeat: an invoice's mark is a change that a repeat finds made, its trail entry is
keyed by the event (written at the event's time), and the change of method is recorded once per
mandate. The driver claims the effect before it starts, so two drivers never email the customer twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.domain.outbox import OutboxEvent
from billing.domain.payments import FallbackReason
from billing.domain.payments.invoice_record import ACTIVE, STOPPED, StripeInvoiceRecord
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoicePages
from billing.services.payments.mandates import mandate_from_record
from billing.services.payments.ports import MandateFollowers, MethodChange, PaymentEmails
from billing.services.ports import AuditEvent, AuditTrail, StoredInvoices

# What a new card can take over from (billing.services.payment_method_change.previous_method).
KNOWN_METHODS = ("card", "autogiro", "manual")


@dataclass(frozen=True)
class MandateFollowUp:
    """What a card mandate's event asks of the customer's open invoices: its outbox `context`, with
    the customer and invoice its payload names."""

    customer_id: str
    invoice_id: str | None  # the invoice whose page the mandate was given on, if any
    autopay: str  # ACTIVE: charge the open invoices on their due dates; STOPPED: hand them back
    # ACTIVE: the automatic method it took over from (card | autogiro | manual) and the change's
    # reference; None where the processor was not told to confirm changes of method.
    previous: str | None = None
    change_ref: str | None = None
    fallback: FallbackReason | None = None  # STOPPED: why, in the page's and the email's words

    def context(self) -> dict[str, Any]:
        return {
            "autopay": self.autopay,
            "previous": self.previous,
            "change_ref": self.change_ref,
            "fallback": self.fallback.value if self.fallback else None,
        }

    @classmethod
    def of(cls, event: OutboxEvent) -> MandateFollowUp:
        context, payload = event.context, event.payload
        autopay = context.get("autopay")
        if autopay not in (ACTIVE, STOPPED):
            raise PermanentError(f"{event.event_id} says no autopay to follow", field="context.autopay")
        fallback = context.get("fallback")
        if autopay == STOPPED and fallback is None:
            raise PermanentError(f"{event.event_id} stops autopay without a reason", field="context.fallback")
        if fallback is not None and fallback not in set(FallbackReason):
            raise PermanentError(f"{event.event_id} names no known reason", field="context.fallback")
        previous = context.get("previous")
        if previous is not None and previous not in KNOWN_METHODS:
            raise PermanentError(f"{event.event_id} names no known method", field="context.previous")
        invoice_id = payload.get("invoice_id")
        return cls(
            customer_id=str(payload["customer_id"]),
            invoice_id=str(invoice_id) if invoice_id else None,
            autopay=str(autopay),
            previous=previous,
            change_ref=context.get("change_ref"),
            fallback=FallbackReason(fallback) if fallback is not None else None,
        )


@dataclass(kw_only=True, eq=False)
class FollowMandate:
    records: MandateFollowers
    invoices: StoredInvoices
    pages: InvoicePages
    emails: PaymentEmails
    audit: AuditTrail
    # Records and confirms the change of method once (billing.services.payment_method_change)
    method_change: MethodChange | None = None

    def __call__(self, event: OutboxEvent) -> None:
        follow = MandateFollowUp.of(event)
        if follow.autopay == ACTIVE:
            # Every open invoice of the customer will now be taken on its due date; the pages say so.
            invoices = self.open_invoices_of(event.tenant_id, follow.customer_id, also=follow.invoice_id)
            for invoice_id in invoices:
                self._mark_active(event, invoice_id)
            self._confirm_change(event.tenant_id, follow, invoices)
        else:
            assert follow.fallback is not None
            self._fall_back(event, follow.customer_id, follow.fallback)

    def open_invoices_of(self, tenant_id: str, customer_id: str, also: str | None = None) -> list[str]:
        """The customer's unpaid invoices, oldest due first (one query of the customer's invoices),
        after `also`: the one the mandate was given on, which may not be open (its page still says what
        happened), kept only if it is this customer's."""
        first = self.invoices.get(tenant_id, also) if also else None
        found = [also] if also and first is not None and first.invoice.customer_id == customer_id else []
        return found + [i for i in self.records.open_invoices_of(tenant_id, customer_id) if i != also]

    def _mark_active(self, event: OutboxEvent, invoice_id: str) -> None:
        tenant_id = event.tenant_id

        def change(record: StripeInvoiceRecord) -> StripeInvoiceRecord:
            if record.charge is not None and record.charge.done:
                # The collector already had its go at this invoice (and may have handed it back to the
                # customer): it stays as it is; the new method serves the next invoices.
                return record
            return record.with_autopay(ACTIVE, event.occurred_at)

        self.records.update_invoice_record(tenant_id, invoice_id, change)
        self.audit.append(tenant_id, invoice_id, _step(event, "autopay_active"))
        self.pages.refresh(tenant_id, invoice_id)

    def _confirm_change(self, tenant_id: str, follow: MandateFollowUp, invoices: list[str]) -> None:
        """The card mandate took over (from Autogiro, or from paying by hand): recorded and confirmed
        on the invoice it was set up for (or the customer's first open one), once."""
        if self.method_change is None or follow.previous is None:
            return
        invoice_id = follow.invoice_id or next(iter(invoices), None)
        stored = self.invoices.get(tenant_id, invoice_id) if invoice_id else None
        if stored is None or stored.invoice.customer_id != follow.customer_id:
            return
        self.method_change.started(stored, "card", follow.previous, follow.change_ref or "")
        if follow.previous != "manual":
            self.pages.refresh(tenant_id, stored.invoice_id)  # the ended method leaves the page

    def _fall_back(self, event: OutboxEvent, customer_id: str, reason: FallbackReason) -> None:
        """Automatic payment stopped: every open invoice of the customer becomes an ordinary one again,
        its page says so, and the customer gets one email saying why.

        Unless a newer mandate took over meanwhile (a new card set up while the old one was removed,
        its event later on the customer's stream): its own follow-up marks the invoices, and an email
        saying automatic payment stopped would be untrue."""
        tenant_id = event.tenant_id
        current = mandate_from_record(self.records.customer_record(tenant_id, customer_id))
        if current is not None and current.usable:
            return
        emailed = False
        for invoice_id in self.open_invoices_of(tenant_id, customer_id):
            self.records.update_invoice_record(tenant_id, invoice_id, lambda r: r.stopped(reason.value))
            self.audit.append(
                tenant_id, invoice_id, _step(event, "autopay_stopped", {"reason": reason.value})
            )
            refreshed = self.pages.refresh(tenant_id, invoice_id)
            if not emailed:
                tenant, account = self.pages.load(refreshed)
                self.emails.send_fallback(refreshed, tenant, account, reason.value)
                emailed = True


def _step(event: OutboxEvent, action: str, details: dict[str, Any] | None = None) -> AuditEvent:
    # At the event's time and keyed by it: a repeated drive finds the step written.
    return AuditEvent(action, "stripe", event.occurred_at, details or {}, key=event.event_id)
