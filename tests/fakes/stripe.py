"""In-memory `StripeRecords` and `PaymentGateway` (services/payments/ports.py): the per-invoice and
per-customer Stripe bookkeeping as adapters/dynamo/mandates keeps it, and a gateway that answers a
Checkout Session per idempotency key as Stripe does (the same invoice and attempt: the same session)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from billing.domain.merchant_events import EventDraft
from billing.domain.payments import ChargeResult, CheckoutSession, StripeInvoiceRecord
from billing.services.payments.ports import ChargeRequest, SessionRequest


@dataclass
class FakeStripeRecords:
    invoices: dict[tuple[str, str], StripeInvoiceRecord] = field(default_factory=dict)
    customers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    customer_events: list[EventDraft | None] = field(default_factory=list)  # each saved change's event
    # (tenant, customer) -> the customer's unpaid invoices, oldest due first
    open_invoices: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (tenant, Stripe id) -> customer
    # Numbers a saved change's event on the customer's stream, as the adapter's transaction does
    # (tests/unit/outbox/fakes.MemoryCustomerStreams.commit); None: the events are only listed.
    commit: Callable[[str, str, EventDraft | None], object] | None = None

    def invoice_record(self, tenant_id: str, invoice_id: str) -> StripeInvoiceRecord:
        return self.invoices.get((tenant_id, invoice_id), StripeInvoiceRecord())

    def update_invoice_record(
        self, tenant_id: str, invoice_id: str, change: Callable[[StripeInvoiceRecord], StripeInvoiceRecord]
    ) -> StripeInvoiceRecord:
        # Stored as the adapter stores it: through the JSON shape, so a change that writes what cannot
        # be read back fails here too.
        changed = change(self.invoice_record(tenant_id, invoice_id))
        self.invoices[(tenant_id, invoice_id)] = StripeInvoiceRecord.from_record(changed.to_record())
        return self.invoice_record(tenant_id, invoice_id)

    def find_invoice(self, tenant_id: str, reference: str) -> str | None:
        for (tenant, invoice_id), record in self.invoices.items():
            if tenant == tenant_id and reference in record.refs:
                return invoice_id
        return None

    def open_invoices_due(self, tenant_id: str, on: date) -> list[str]:
        return [i for (tenant, _), ids in self.open_invoices.items() if tenant == tenant_id for i in ids]

    def open_invoices_of(self, tenant_id: str, customer_id: str) -> list[str]:
        return list(self.open_invoices.get((tenant_id, customer_id), []))

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.customers.get((tenant_id, customer_id), {}))

    def change_customer_record(
        self,
        tenant_id: str,
        customer_id: str,
        change: Callable[[dict[str, Any]], tuple[dict[str, Any], EventDraft | None] | None],
    ) -> tuple[dict[str, Any], EventDraft | None] | None:
        changed = change(self.customer_record(tenant_id, customer_id))
        if changed is not None:
            self.customers[(tenant_id, customer_id)] = copy.deepcopy(changed[0])
            mandate = changed[0].get("mandate") or {}
            for ref in (mandate.get("payment_method_ref"), mandate.get("mandate_ref")):
                if ref:  # an id once saved keeps leading to its customer (the adapter's stripe_refs)
                    self.refs[(tenant_id, ref)] = customer_id
            self.customer_events.append(changed[1])
            if self.commit is not None:
                self.commit(tenant_id, customer_id, changed[1])
        return changed

    def find_customer(self, tenant_id: str, reference: str) -> str | None:
        """The customer whose saved mandate named `reference` (a payment method or mandate id)."""
        return self.refs.get((tenant_id, reference))


@dataclass
class FakePaymentEmails:
    """`PaymentEmails`: what was sent, to which invoice's customer."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, invoice id, detail)

    def send_action_required(self, stored: Any, tenant: Any, account: Any) -> None:
        self.sent.append(("action_required", stored.invoice_id, ""))

    def send_fallback(self, stored: Any, tenant: Any, account: Any, reason: str) -> None:
        self.sent.append(("fallback", stored.invoice_id, reason))

    def send_credit_note(self, stored: Any, tenant: Any, account: Any, number: str, amount: int) -> None:
        self.sent.append(("credit_note", stored.invoice_id, number))


@dataclass
class FakeGateway:
    """Stripe keeps an idempotency key's answer: a second request with the same key gets the same
    session, so `sessions` counts the sessions Stripe made, `requests` every request sent."""

    requests: list[tuple[str, SessionRequest]] = field(default_factory=list)
    sessions: dict[str, CheckoutSession] = field(default_factory=dict)

    def _session(self, kind: str, request: SessionRequest) -> CheckoutSession:
        self.requests.append((kind, request))
        key = f"{kind}:{request.invoice_id}:{request.attempt}"
        if key not in self.sessions:
            n = len(self.sessions) + 1
            self.sessions[key] = CheckoutSession(f"cs_{n}", f"https://checkout.stripe.test/cs_{n}", "open")
        return self.sessions[key]

    def create_checkout_session(
        self, request: SessionRequest, *, amount: int, description: str
    ) -> CheckoutSession:
        return self._session("payment", request)

    def create_setup_session(
        self, request: SessionRequest, *, customer_id: str | None = None
    ) -> CheckoutSession:
        return self._session("setup", request)

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult:
        raise AssertionError("a page's payment never charges off-session")
