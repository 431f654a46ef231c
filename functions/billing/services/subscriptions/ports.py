"""What the subscription use cases read and write (adapters/dynamo/subscriptions.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from billing.domain.catalog import Pause
from billing.domain.merchant_events import EventDraft
from billing.domain.parties import Customer
from billing.services.ports import CustomerAccount, DocumentIssue, StoredInvoice


@dataclass(frozen=True)
class SubscriptionRecord:
    """A customer with whatever subscription it has; `version` guards every change against a
    concurrent one (and against the billing run, which never changes the subscription itself)."""

    customer: Customer
    email: str
    subscription: dict[str, Any] | None
    version: int
    next_period_start: date | None
    account: CustomerAccount | None  # the billing view; None without a subscription


@dataclass(frozen=True, kw_only=True)
class PlanChangeIssue(DocumentIssue):
    """A plan change's invoice and the change itself, stored together: `subscription` replaces the
    customer's if still at `version`, and `changed` (subscription.changed) goes on its stream."""

    subscription: dict[str, Any]
    version: int
    changed: EventDraft | None = None


class SubscriptionRecords(Protocol):
    def get(self, tenant_id: str, customer_id: str) -> SubscriptionRecord | None: ...

    def start(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        first_period_start: date,
        coupons: Sequence[dict[str, Any]],
        changed: EventDraft | None = None,
    ) -> bool:
        """Give a customer without one its subscription and billing schedule; False when it has one.
        `changed` (subscription.changed) is numbered on the customer's stream and written with it."""
        ...

    def replace(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        version: int,
        changed: EventDraft | None = None,
    ) -> bool:
        """The new subscription if still at `version`; False when it changed meanwhile. `changed`
        (subscription.changed) is numbered on the customer's stream and written in the same
        transaction, so a retry that finds the version moved writes no second event."""
        ...

    def issue_with_change(self, issue: PlanChangeIssue) -> StoredInvoice | None:
        """In one transaction: the next number of the series, the invoice, the new subscription (if
        still at `version`) and its `changed` event on the customer's stream. The invoice if it exists
        already; None when the version moved on."""
        ...

    def invoice(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...


@dataclass(frozen=True)
class PauseMailFacts:
    language: str
    country: str
    brand: str
    customer_name: str
    page_url: str
    pause: Pause


class PauseMail(Protocol):
    def confirmed(self, facts: PauseMailFacts) -> tuple[str, str, str]:
        """(subject, text, html) of the confirmation."""
        ...


class InvoiceDelivery(Protocol):
    def deliver(self, stored: StoredInvoice, tenant: Any, account: CustomerAccount) -> bool:
        """Publish the page and email its link, each once (IssueInvoice.deliver)."""
        ...


class Tokens(Protocol):
    def page_token(self) -> str: ...
