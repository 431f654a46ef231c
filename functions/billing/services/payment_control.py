"""The customer in control of how they pay: the method in force, the choice of methods, and stopping.

Read side (`page_payment_control`): from the invoice's stored state, which automatic payment is in
force ("card": a Stripe mandate charges it; "autogiro": a Bankgirot mandate debits it), whether a
mandate is given but not yet approved (the page then asks for nothing by hand), the provider's notice,
and the links: every method the tenant offers (the customer chooses; before, the tenant's setting
picked one) and where to stop.

Write side (`StopAutopay`, behind `POST /v1/pages/{token}/autopay/stop`): the customer stops automatic
payment from the page. Card: the saved mandate becomes inactive (never charged again; a new setup makes
a new one) and this invoice is no longer charged. Autogiro: the mandate is cancelled the way an operator
cancels it (`CancelMandate`: TK03 in the next request file, which also withdraws debit dates told but
not yet ordered). Either way a confirmation email goes out, the audit trail records it and the page is
re-rendered. Changing method is the other method's own flow, one link away.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from billing.domain.autogiro.invoice_state import autogiro_invoice_state
from billing.domain.merchant_events import EventDraft, mandate_cancelled_draft
from billing.domain.page.context import AutogiroNotice
from billing.domain.payments import STOPPED, MandateStatus, StripeInvoiceRecord, stripe_record
from billing.services.errors import NoAutopay, PermanentError
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    Mailer,
    StoredInvoice,
    StoredInvoices,
)

if TYPE_CHECKING:  # the payments package imports this module
    from billing.services.payments.ports import CustomerChange, InvoiceRecordChange


def autopay_method(stored: StoredInvoice) -> str | None:
    """ "autogiro" or "card" when automatic payment holds this invoice, else None."""
    if autogiro_invoice_state(stored.state).in_force:
        return "autogiro"
    if stripe_record(stored.state).autopay_active:
        return "card"
    return None


def autogiro_waiting(stored: StoredInvoice) -> bool:
    """A mandate is given and not yet approved, and no debit date is set for this invoice yet."""
    return autogiro_invoice_state(stored.state).waiting


def page_payment_control(
    stored: StoredInvoice,
    card_autopay_url: str | None,
    autogiro_url: str | None,
    notice: AutogiroNotice | None,
    api_base: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(PageLinks fields, InvoiceState fields) for the page's payment control."""
    choices = tuple((m, url) for m, url in (("card", card_autopay_url), ("autogiro", autogiro_url)) if url)
    method = autopay_method(stored) if stored.status == "open" else None
    links: dict[str, Any] = {"autopay_choices": choices}
    if method is not None:
        links["autopay_stop_url"] = f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/autopay/stop"
    state: dict[str, Any] = {
        "autopay_method": method,
        "autopay_pending": stored.status == "open" and autogiro_waiting(stored),
        "payment_notice": notice,
    }
    return links, state


# ------------------------------------------------------------------------------------------ stopping


class CardMandates(Protocol):
    """The Stripe records this needs (billing.services.payments.StripeRecords has them)."""

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]: ...

    def change_customer_record(
        self, tenant_id: str, customer_id: str, change: CustomerChange
    ) -> tuple[dict[str, Any], EventDraft | None] | None: ...

    def update_invoice_record(
        self, tenant_id: str, invoice_id: str, change: InvoiceRecordChange
    ) -> StripeInvoiceRecord: ...


class AutogiroCancel(Protocol):
    def __call__(self, tenant_id: str, customer_id: str) -> object: ...


def stop_card_autopay(
    cards: CardMandates, tenant_id: str, customer_id: str, invoice_id: str, now: datetime
) -> None:
    """The customer's card mandate stops (stopped here, or replaced by Autogiro) and this invoice is
    no longer charged."""

    def stop(record: dict[str, Any]) -> tuple[dict[str, Any], EventDraft | None] | None:
        mandate = record.get("mandate")
        if not isinstance(mandate, Mapping) or mandate.get("status") == MandateStatus.INACTIVE.value:
            # Inactive is final (billing.domain.payments.advance_mandate): never charged again. Saved
            # only when it was not inactive yet, so a repeated stop reports no second mandate.cancelled.
            return None
        stopped = mandate_cancelled_draft(
            customer_id,
            method="card",
            reference=str(mandate.get("mandate_ref") or mandate.get("payment_method_ref") or ""),
            invoice_id=invoice_id,
            status="cancelled",
            by="customer",
            reason=None,
            now=now,
        )
        return {**record, "mandate": {**mandate, "status": MandateStatus.INACTIVE.value}}, stopped

    cards.change_customer_record(tenant_id, customer_id, stop)
    cards.update_invoice_record(tenant_id, invoice_id, lambda r: r.with_autopay(STOPPED, now))


@dataclass(frozen=True)
class AutopayStopped:
    stored: StoredInvoice
    method: str


class StopConfirmation(Protocol):
    """Words the confirmation email in the customer's language (billing.adapters.payment_control_mail)."""

    def stopped(
        self, stored: StoredInvoice, tenant_name: str, method: str, page_url: str
    ) -> tuple[str, str, str]:
        """(subject, text, html)"""
        ...


@dataclass(kw_only=True, eq=False)
class StopAutopay:
    invoices: StoredInvoices
    pages: InvoicePages
    cards: CardMandates
    cancel_autogiro: AutogiroCancel | None
    mailer: Mailer
    confirmation: StopConfirmation
    audit: AuditTrail
    clock: Clock
    pages_base_url: str

    def __post_init__(self) -> None:
        self.pages_base_url = self.pages_base_url.rstrip("/")

    def __call__(self, token: str) -> AutopayStopped:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        method = autopay_method(stored) if stored.status == "open" else None
        if method is None:
            raise NoAutopay("this invoice is not paid automatically", field="token")
        now = self.clock.now()
        tenant_id, customer_id = stored.tenant_id, stored.invoice.customer_id
        if method == "autogiro":
            if self.cancel_autogiro is None:
                raise PermanentError("Autogiro is not set up here", field="autogiro")
            self.cancel_autogiro(tenant_id, customer_id)
        else:
            stop_card_autopay(self.cards, tenant_id, customer_id, stored.invoice_id, now)
        self.audit.append(
            tenant_id, stored.invoice_id, AuditEvent("autopay_stopped", "customer", now, {"method": method})
        )
        refreshed = self.invoices.get(tenant_id, stored.invoice_id) or stored
        tenant, account = self.pages.load(refreshed)
        self.pages.publish(refreshed, tenant, account)
        name = tenant.page_settings.branding.name
        self._confirm(refreshed, name, account.email, method)
        return AutopayStopped(refreshed, method)

    def _confirm(self, stored: StoredInvoice, tenant_name: str, email: str | None, method: str) -> None:
        if not email:
            return
        page_url = f"{self.pages_base_url}/i/{stored.page_token}"
        subject, text, html = self.confirmation.stopped(stored, tenant_name, method, page_url)
        self.mailer.send(to=email, subject=subject, text=text, html=html)
