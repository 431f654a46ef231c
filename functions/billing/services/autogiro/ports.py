"""The Autogiro use cases' ports: the mandate store, the invoices it reads, the bank's files; and the
records that cross them (the mandate and its status, the form page's content)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from billing.domain.autogiro.invoice_state import AutogiroInvoiceState
from billing.domain.autogiro.outcomes import (
    Reason,
)
from billing.domain.autogiro.records import BankAccount
from billing.domain.merchant_events import EventDraft
from billing.services.ports import (
    StoredInvoice,
    TenantAccount,
)

# ------------------------------------------------------------------------------------------- records

CONSENT_VALUE = "yes"  # the form's consent checkbox, ticked


class MandateStatus(StrEnum):
    PENDING = "pending"  # given on the page, not yet in a request file
    SENT = "sent"  # in a request file, waiting for Bankgirot's answer
    APPROVED = "approved"  # debits may be sent
    REJECTED = "rejected"  # Bankgirot or the bank refused it; the reason says why
    CANCEL_PENDING = "cancel_pending"  # to be removed in the next request file (TK03)
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Mandate:
    tenant_id: str
    customer_id: str
    payer_number: str
    status: MandateStatus
    clearing: str | None = None
    account_number: str | None = None
    identity: str | None = None  # 12-position Autogiro form (personnummer or 00 + orgnr)
    invoice_id: str | None = None  # the invoice whose page it was given on
    requested_at: datetime | None = None
    sent_on: date | None = None
    reason: Reason | None = None
    version: int = 1


@dataclass(frozen=True)
class MandateForm:
    """What the form page shows: the invoice, the tenant, the mandate so far, and errors."""

    stored: StoredInvoice
    tenant: TenantAccount
    language: str
    mandate: Mandate | None
    values: dict[str, str] = field(default_factory=dict)
    error_field: str | None = None
    error: str | None = None


# --------------------------------------------------------------------------------------------- ports


class MethodChange(Protocol):
    """billing.services.payment_method_change.ChangePaymentMethod, as the mandate form uses it."""

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str: ...

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None: ...

    def confirm_pending(self, stored: StoredInvoice) -> int: ...


@dataclass(frozen=True, kw_only=True)
class MandateApplication:
    """A customer's Autogiro mandate as given on the invoice page `invoice_id` (the account to debit and
    the payer's personnummer or organisationsnummer), at `now`."""

    tenant_id: str
    customer_id: str
    account: BankAccount
    identity: str
    invoice_id: str
    now: datetime


class MandateStore(Protocol):
    def get(self, tenant_id: str, customer_id: str) -> Mandate | None: ...

    def by_payer(self, tenant_id: str, payer_number: str) -> Mandate | None: ...

    def request(self, application: MandateApplication) -> Mandate:
        """Store a pending mandate (allocating the customer's payer number the first time) and put
        it in the outbox."""
        ...

    def request_cancel(self, mandate: Mandate, now: datetime, event: EventDraft | None = None) -> Mandate:
        """Mark it to be removed in the next file; `event` (mandate.cancelled) is numbered on the
        customer's stream and written in the same transaction."""
        ...

    def to_send(self, tenant_id: str) -> list[Mandate]:
        """Mandates whose request (new or cancel) waits for the next file."""
        ...

    def mark_sent(self, mandate: Mandate, sent_on: date, now: datetime) -> None: ...

    def answer(
        self,
        mandate: Mandate,
        status: MandateStatus,
        reason: Reason | None,
        now: datetime,
        event: EventDraft | None = None,
    ) -> Mandate:
        """Record Bankgirot's answer (or a withdrawal); `event` (mandate.approved, mandate.cancelled)
        is written in the same transaction, only if the mandate is still in the status it was read
        in (RetryableError otherwise: the caller reads it again)."""
        ...

    def claim_debit(self, tenant_id: str, invoice_id: str, debit_date: date, details: dict[str, Any]) -> bool:
        """Mark a debit as ordered; False when it already was (the same invoice and date)."""
        ...

    def release_debit(self, tenant_id: str, invoice_id: str, debit_date: date) -> None: ...

    def import_done(self, tenant_id: str, digest: str) -> bool: ...

    def mark_imported(self, tenant_id: str, digest: str, details: dict[str, Any]) -> None: ...


class AutogiroInvoices(Protocol):
    def open_invoices(self, tenant_id: str) -> Iterator[StoredInvoice]:
        """Every unpaid invoice of the tenant (the sparse open index), oldest due date first."""
        ...

    def update_autogiro(
        self, tenant_id: str, invoice_id: str, change: Callable[[AutogiroInvoiceState], AutogiroInvoiceState]
    ) -> StoredInvoice:
        """Replace state["autogiro"] with change(current), version-checked (nothing is written when it
        answers the state unchanged); the invoice after."""
        ...


class AutogiroFiles(Protocol):
    def write(self, key: str, body: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def read(self, key: str) -> bytes: ...
