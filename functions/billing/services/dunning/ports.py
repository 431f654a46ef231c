"""The dunning job's ports: its store (version-checked writes with outbox events), the reminder mail,
and the mandate retrier."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from billing.domain.dunning.relief import ReliefChoice
from billing.domain.merchant_events import EventDraft
from billing.domain.outbox import OutboxEvent
from billing.services.ports import CustomerAccount, PageInputs, StoredInvoice, TenantAccount

# --------------------------------------------------------------------------------------------------
# Ports


@dataclass(frozen=True)
class QuestionAnswer:
    """The operator's answer to one question on an invoice, at `at`; `answered(all_answered)` drafts
    the merchant's question.answered event that is written with it."""

    tenant_id: str
    invoice_id: str
    question_id: str
    answer: str
    at: datetime
    answered: Callable[[bool], EventDraft] | None = None


class DunningStore(Protocol):
    def open_invoices(self, tenant_id: str, due_through: date) -> Iterator[StoredInvoice]: ...

    def fee_agreed_on(self, tenant_id: str, customer_id: str) -> date | None: ...

    def save_dunning(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        *,
        events: Sequence[OutboxEvent] = (),
        **fields: Any,
    ) -> bool:
        """Store state["dunning"] only if unchanged since `stored` was read; False otherwise. `events`
        (the outbox: the invoice's next sequence numbers) are written in the same transaction."""
        ...

    def answer_question(self, answer: QuestionAnswer) -> StoredInvoice:
        """Store the answer; `answer.answered(all_answered)` drafts question.answered, numbered on the
        invoice's stream and written in the same transaction unless the same words were stored
        already (a retried answer)."""
        ...

    def split(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        children: Sequence[dict[str, Any]],
        now: datetime,
        *,
        events: Sequence[OutboxEvent] = (),
    ) -> bool: ...

    def children(self, stored: StoredInvoice, ids: Sequence[str]) -> list[StoredInvoice]: ...

    def close_split(self, stored: StoredInvoice, dunning: dict[str, Any], paid_at: datetime) -> bool: ...


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


class DunningMail(Protocol):
    """Renders the reminder (the same words the page shows) and the short notices of this module."""

    def reminder(self, inputs: PageInputs, reminder: Mapping[str, Any]) -> Email: ...

    def notice(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        kind: str,
        params: Mapping[str, Any],
    ) -> Email: ...


@dataclass(frozen=True)
class ReliefFormPage:
    """What the relief form page shows: the invoice, its merchant, the customer's day, the relief the
    rules leave them (None: the invoice is not open), where the invoice page and the API are, and why
    a choice was refused."""

    stored: StoredInvoice
    tenant: TenantAccount
    today: date
    choice: ReliefChoice | None
    page_url: str
    api_base: str
    error: str | None = None


# The relief form page in the customer's language (billing.adapters.dunning_page.render_relief_page).
ReliefForm = Callable[[ReliefFormPage], str]


class MandateRetrier(Protocol):
    """Asks the payment module that owns the mandate (Stripe or Autogiro) to charge again."""

    def request_retry(self, stored: StoredInvoice, attempt: int, idempotency_key: str) -> None: ...


class RecordedRetries:
    """The retry is recorded in state["dunning"]["retries"] (with its idempotency key) for the
    payment module's collector to carry out; nothing more to do here."""

    def request_retry(self, stored: StoredInvoice, attempt: int, idempotency_key: str) -> None:
        return None
