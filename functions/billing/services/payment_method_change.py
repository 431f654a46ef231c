"""The customer changes how they pay: a new automatic method takes over from the one in force, and
the customer is told once (issue 17: "stop and change one step away and a confirmation email for
each"; stopping is billing.services.payment_control.StopAutopay).

Triggered by the new method's own flow, after its mandate is stored:
- Autogiro chosen on the page (billing.services.autogiro.AutogiroMandates.submit): a card mandate in
  force is made inactive, so the invoices are not both charged and debited;
- a card (or other Stripe) mandate activated (billing.services.payments.ProcessStripeEvent, from
  Stripe's webhook): an Autogiro mandate in force is cancelled the way the customer stops it;
- from paying by hand to either: nothing to end, still confirmed.

Once per change, durably: the change is written to the invoice's audit trail (`payment_method_changed`,
keyed by the new mandate) before the email, and `payment_method_change_confirmed` after the send.
The flows call this again on every repeat (the form posted again, Stripe's event redelivered after a
failure), so an email whose send failed goes out then, and one that was sent is not sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from billing.services.invoice_pages import InvoicePages
from billing.services.payment_control import AutogiroCancel, CardMandates, stop_card_autopay
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    Mailer,
    StoredInvoice,
    StoredInvoices,
)

CHANGED = "payment_method_changed"
CONFIRMED = "payment_method_change_confirmed"
MANUAL = "manual"


class AutogiroInForce(Protocol):
    def __call__(self, tenant_id: str, customer_id: str) -> bool:
        """An Autogiro mandate is given and not cancelled (pending, sent or approved)."""
        ...


class MethodChangeMail(Protocol):
    """Words the confirmation in the customer's language (billing.adapters.payment_control_mail)."""

    def changed(
        self, stored: StoredInvoice, tenant_name: str, previous: str, new: str, page_url: str
    ) -> tuple[str, str, str]:
        """(subject, text, html)"""
        ...


@dataclass(frozen=True)
class ChangePaymentMethod:
    invoices: StoredInvoices
    pages: InvoicePages
    cards: CardMandates
    cancel_autogiro: AutogiroCancel | None
    autogiro_in_force: AutogiroInForce | None
    mailer: Mailer
    mail: MethodChangeMail
    audit: AuditTrail
    clock: Clock
    pages_base_url: str

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str:
        """The automatic method the customer had before `new` was given (MANUAL: none)."""
        if new != "card":
            mandate = self.cards.customer_record(tenant_id, customer_id).get("mandate")
            if isinstance(mandate, dict) and mandate.get("status") == "active":
                return "card"
        if new != "autogiro" and self.autogiro_in_force is not None:
            if self.autogiro_in_force(tenant_id, customer_id):
                return "autogiro"
        return MANUAL

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None:
        """`new` is now the customer's automatic method (mandate `ref`), given on `stored`'s page or
        for it: end `previous`, record the change once, and confirm it once."""
        change = f"{previous}->{new}:{ref}"
        tenant_id, customer_id = stored.tenant_id, stored.invoice.customer_id
        if not any(
            e.action == CHANGED and e.details.get("change") == change
            for e in self.audit.events(tenant_id, stored.invoice_id)
        ):
            now = self.clock.now()
            if previous == "card":
                stop_card_autopay(self.cards, tenant_id, customer_id, stored.invoice_id, now)
            elif previous == "autogiro" and self.cancel_autogiro is not None:
                self.cancel_autogiro(tenant_id, customer_id)
            details = {"change": change, "from": previous, "to": new}
            self.audit.append(tenant_id, stored.invoice_id, AuditEvent(CHANGED, "customer", now, details))
        self.confirm_pending(stored)

    def confirm_pending(self, stored: StoredInvoice) -> int:
        """Send the confirmation of every change on this invoice not yet confirmed; how many went."""
        events = self.audit.events(stored.tenant_id, stored.invoice_id)
        confirmed = {e.details.get("change") for e in events if e.action == CONFIRMED}
        pending = [e for e in events if e.action == CHANGED and e.details.get("change") not in confirmed]
        if not pending:
            return 0
        fresh = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        tenant, account = self.pages.load(fresh)
        name = tenant.page_settings.branding.name
        page_url = f"{self.pages_base_url.rstrip('/')}/i/{fresh.page_token}"
        for event in pending:
            if account.email:
                subject, text, html = self.mail.changed(
                    fresh, name, str(event.details.get("from")), str(event.details.get("to")), page_url
                )
                self.mailer.send(to=account.email, subject=subject, text=text, html=html)
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent(CONFIRMED, "system", self.clock.now(), {"change": event.details.get("change")}),
            )
        return len(pending)
