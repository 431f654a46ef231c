"""The page's Pay and pay-automatically links: one Checkout Session per invoice and attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from billing.domain.invoice import CREDIT_NOTE
from billing.domain.payments import (
    METADATA_CUSTOMER_ID,
    METADATA_TENANT_ID,
    CheckoutSession,
)
from billing.domain.payments.invoice_record import SessionRecord, StripeInvoiceRecord
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound, invoice_parties
from billing.services.payments.mandates import mandate_from_record
from billing.services.payments.ports import GatewayFor, SessionRequest, StripeRecords
from billing.services.payments.settings import SESSION_REUSE, PaymentSettings
from billing.services.ports import (
    Clock,
    CustomerAccount,
    CustomerDirectory,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
    TenantDirectory,
)

# --------------------------------------------------------------------------------------------------
# Paying on the page
# --------------------------------------------------------------------------------------------------


class NothingToPay(PermanentError):
    """The invoice is paid, credited or has no amount due: the page is shown instead of Checkout."""


class PaymentsDisabled(PermanentError):
    """The tenant does not take card payments (page.payments.enabled is false)."""


@dataclass(kw_only=True, eq=False)
class StartPayment:
    invoices: StoredInvoices
    # The invoice's tenant and customer; the payment never renders or publishes the page (the
    # webhook's settlement does), so the payments API is given no bucket.
    tenants: TenantDirectory
    customers: CustomerDirectory
    records: StripeRecords
    gateways: GatewayFor
    clock: Clock
    pages_base_url: str

    def __post_init__(self) -> None:
        self.pages_base_url = self.pages_base_url.rstrip("/")

    def page_url(self, stored: StoredInvoice) -> str:
        """Where Checkout returns the customer: the invoice's page; for an instalment of a split
        invoice, the parent's page, which shows the plan (an instalment has no page of its own until
        it is reminded)."""
        parent_id = (stored.state.get("dunning") or {}).get("instalment_of")
        parent = self.invoices.get(stored.tenant_id, str(parent_id)) if parent_id else None
        return f"{self.pages_base_url}/i/{(parent or stored).page_token}"

    def _open(self, token: str) -> tuple[StoredInvoice, TenantAccount, CustomerAccount, PaymentSettings]:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        tenant, account = invoice_parties(self.tenants, self.customers, stored)
        settings = PaymentSettings.from_page(tenant.page)
        if not settings.enabled:
            raise PaymentsDisabled("this merchant does not take card payments", field="payments")
        return stored, tenant, account, settings

    def pay(self, token: str) -> str:
        """The Checkout URL for the amount still due (a new session only for a new attempt)."""
        stored, tenant, account, settings = self._open(token)
        invoice = stored.invoice
        amount = stored.amount_due
        if invoice.kind == CREDIT_NOTE or stored.status != "open" or amount <= 0:
            raise NothingToPay("nothing is left to pay on this invoice", field="amount_due")
        now = self.clock.now()
        previous = self.records.invoice_record(stored.tenant_id, stored.invoice_id).checkout
        attempt = _attempt(previous, now, amount=amount, payments_seen=_payments_seen(stored))
        if previous is not None and previous.attempt == attempt:
            return previous.url
        request = self._request(stored, account, attempt, "paid", settings.checkout_methods(invoice.currency))
        session = self.gateways(stored.tenant_id).create_checkout_session(
            request, amount=amount, description=payment_description(tenant, stored)
        )
        self._remember(stored, "checkout", attempt, session, now, amount)
        return session.url

    def autopay(self, token: str) -> str:
        """The Checkout URL (setup mode) that saves a reusable method for automatic payment."""
        stored, _tenant, account, settings = self._open(token)
        invoice = stored.invoice
        now = self.clock.now()
        previous = self.records.invoice_record(stored.tenant_id, stored.invoice_id).setup
        customer = self.records.customer_record(stored.tenant_id, account.customer.id)
        mandate = mandate_from_record(customer)
        attempt = _attempt(previous, now, amount=0)
        if previous is not None and previous.attempt == attempt and mandate is not None:
            # A session completed since it was made is used up: a customer coming back to card
            # (after stopping it, or after Autogiro) gets a new one, not the finished one again.
            if mandate.activated_at >= previous.created_at:
                attempt += 1
        if previous is not None and previous.attempt == attempt:
            return previous.url
        request = self._request(
            stored,
            account,
            attempt,
            "autopay",
            settings.mandate_methods(invoice.currency),
            stripe_customer=mandate.customer_ref if mandate else None,
        )
        session = self.gateways(stored.tenant_id).create_setup_session(
            request, customer_id=account.customer.id
        )
        self._remember(stored, "setup", attempt, session, now, 0)
        return session.url

    def _request(
        self,
        stored: StoredInvoice,
        account: CustomerAccount,
        attempt: int,
        done: str,
        methods: Sequence[str],
        *,
        stripe_customer: str | None = None,
    ) -> SessionRequest:
        """A session for this invoice and attempt, in the invoice's language, returning to its page
        (with `?<done>=1` when the customer finished)."""
        return SessionRequest(
            invoice_id=stored.invoice_id,
            attempt=attempt,
            currency=stored.invoice.currency,
            customer_email=account.email,
            success_url=f"{self.page_url(stored)}?{done}=1",
            cancel_url=self.page_url(stored),
            payment_methods=methods,
            metadata=payment_metadata(stored),
            stripe_customer=stripe_customer,
            locale=_locale(stored.invoice.language),
        )

    def _remember(
        self,
        stored: StoredInvoice,
        kind: str,
        attempt: int,
        session: CheckoutSession,
        now: datetime,
        amount: int,
    ) -> None:
        made = SessionRecord(
            attempt=attempt,
            session_id=session.session_id,
            url=session.url,
            amount=amount,
            created_at=now,
            payments_seen=_payments_seen(stored),
        )

        def change(record: StripeInvoiceRecord) -> StripeInvoiceRecord:
            current = record.checkout if kind == "checkout" else record.setup
            if current is not None and current.attempt >= attempt:
                return record  # a concurrent click stored this attempt (same key: same session) first
            record = record.with_ref(session.session_id)
            if kind == "checkout":
                return replace(
                    record, checkout=made, payments_attempts=max(record.payments_attempts, attempt)
                )
            return replace(record, setup=made)

        self.records.update_invoice_record(stored.tenant_id, stored.invoice_id, change)


def _attempt(previous: SessionRecord | None, now: datetime, *, amount: int, payments_seen: int = 0) -> int:
    """The attempt number: the previous one while its session can still be used, else the next.

    `payments_seen`: how many payments the invoice had settled; a session made before a later payment
    was completed already, even when that payment was taken back and the same amount is owed again."""
    if previous is None:
        return 1
    unused = previous.payments_seen == payments_seen
    if previous.amount == amount and now - previous.created_at < SESSION_REUSE and unused:
        return previous.attempt
    return previous.attempt + 1


def _payments_seen(stored: StoredInvoice) -> int:
    return len((stored.state.get("payments") or {}).get("settled_refs") or ())


def payment_description(tenant: TenantAccount, stored: StoredInvoice) -> str:
    name = tenant.page_settings.branding.name
    number = stored.invoice.number or stored.invoice_id
    word = "Faktura" if stored.invoice.language == "sv" else "Invoice"
    return f"{name} {word} {number}"


def payment_metadata(stored: StoredInvoice) -> dict[str, str]:
    return {METADATA_TENANT_ID: stored.tenant_id, METADATA_CUSTOMER_ID: stored.invoice.customer_id}


def _locale(language: str) -> str | None:
    return language if language in ("sv", "en") else None
