"""The payments use cases' ports: the gateway (Stripe), its records, held events, the emails."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from billing.domain.merchant_events import EventDraft
from billing.domain.payments import (
    ChargeResult,
    CheckoutSession,
    DomainPaymentEvent,
)
from billing.domain.payments.invoice_record import StripeInvoiceRecord
from billing.services.ports import (
    CustomerAccount,
    StoredInvoice,
    TenantAccount,
)


@dataclass(frozen=True, kw_only=True)
class SessionRequest:
    """What every hosted Checkout Session names: the invoice and attempt (which make its idempotency
    key), the currency, where the customer returns, the methods offered, our metadata, who pays
    (a saved Stripe customer, else an email to prefill) and the page's language."""

    invoice_id: str
    attempt: int
    currency: str
    customer_email: str | None
    success_url: str
    cancel_url: str
    payment_methods: Sequence[str]
    metadata: Mapping[str, str] | None = None
    stripe_customer: str | None = None
    locale: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChargeRequest:
    """A saved payment method charged without the customer present (the due-date collector): the
    invoice and attempt (which make its idempotency key), the amount in minor units, whose method.

    Stripe refuses a server-side confirmation that might redirect unless it has somewhere to send the
    customer back: `return_url` is the invoice page (needed for redirect-based methods such as Klarna);
    without one, the charge is restricted to methods that never redirect (card, SEPA). `mandate` names
    the SEPA mandate explicitly; without it Stripe uses the method's own."""

    invoice_id: str
    attempt: int
    amount: int
    currency: str
    stripe_customer: str
    payment_method: str
    metadata: Mapping[str, str] | None = None
    description: str | None = None
    return_url: str | None = None
    mandate: str | None = None


class PaymentGateway(Protocol):
    """What `billing.adapters.stripe_gateway.StripePaymentGateway` offers the use cases."""

    def create_checkout_session(
        self, request: SessionRequest, *, amount: int, description: str
    ) -> CheckoutSession: ...

    def create_setup_session(
        self, request: SessionRequest, *, customer_id: str | None = None
    ) -> CheckoutSession: ...

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult: ...


GatewayFor = Callable[[str], PaymentGateway]  # tenant id -> that tenant's gateway

# A verified Stripe event (its JSON as a dict) read into the domain's payment event; raises the
# domain's PaymentDataError when a handled type lacks what it needs
# (billing.adapters.stripe_event_reader.to_domain_event).
StripeEventReader = Callable[[Mapping[str, Any]], DomainPaymentEvent]


# The customer's Stripe record as read -> the record to store and its event, or None: nothing to change.
CustomerChange = Callable[[dict[str, Any]], "tuple[dict[str, Any], EventDraft | None] | None"]


class MethodChange(Protocol):
    """billing.services.payment_method_change.ChangePaymentMethod, as a new card mandate uses it."""

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str: ...

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None: ...


# The invoice's Stripe record as read -> the record to store (the same one: nothing to store).
InvoiceRecordChange = Callable[[StripeInvoiceRecord], StripeInvoiceRecord]


class MandateFollowers(Protocol):
    """The customer's open invoices and their Stripe records, as a mandate's change reaches them."""

    def update_invoice_record(
        self, tenant_id: str, invoice_id: str, change: InvoiceRecordChange
    ) -> StripeInvoiceRecord:
        """Apply `change` to the invoice's record and store it under the invoice's version, reading
        again and applying it again on a conflict; the record stored."""
        ...

    def open_invoices_of(self, tenant_id: str, customer_id: str) -> list[str]:
        """The customer's unpaid invoices, oldest due first: read by the customer's key, so a mandate's
        change costs the customer's invoices, never the tenant's."""
        ...

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]: ...


class StripeRecords(MandateFollowers, Protocol):
    """Per-invoice and per-customer Stripe bookkeeping (billing.adapters.dynamo.mandates)."""

    def invoice_record(self, tenant_id: str, invoice_id: str) -> StripeInvoiceRecord: ...

    def find_invoice(self, tenant_id: str, reference: str) -> str | None: ...

    def open_invoices_due(self, tenant_id: str, on: date) -> list[str]: ...

    def change_customer_record(
        self, tenant_id: str, customer_id: str, change: CustomerChange
    ) -> tuple[dict[str, Any], EventDraft | None] | None:
        """Apply `change` to the customer's Stripe record and store what it answers, with its event
        (mandate.approved or mandate.cancelled) numbered on the customer's stream in the same
        transaction, only if the record is still the one `change` read (else it is read again and
        `change` decides again); None when `change` answers None."""
        ...

    def find_customer(self, tenant_id: str, reference: str) -> str | None: ...


class HeldEvents(Protocol):
    """Stripe events kept aside (billing.adapters.dynamo.stripe_events): those waiting for the payment
    they name, keyed by each id they name, and those an operator must look at."""

    def hold(self, tenant_id: str, refs: Sequence[str], event: Mapping[str, Any]) -> None: ...

    def held(self, tenant_id: str, ref: str) -> list[dict[str, Any]]: ...

    def release(self, tenant_id: str, refs: Sequence[str], event_id: str) -> None: ...

    def set_aside(
        self, tenant_id: str, event: Mapping[str, Any], *, code: str, field: str | None
    ) -> None: ...


class PaymentEmails(Protocol):
    """Emails about automatic payment (finish a payment on the page, automatic payment stopped) and
    about a refund (its credit note)."""

    def send_action_required(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> None: ...

    def send_fallback(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, reason: str
    ) -> None: ...

    def send_credit_note(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, number: str, amount: int
    ) -> None: ...
