"""The ports the billing use cases need, and the records that cross them.

Adapters implement these (DynamoDB, S3, SES, SQS, Jinja); tests use in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from billing.domain.catalog import Catalog, Subscription
from billing.domain.invoice import Invoice
from billing.domain.merchant_events import EventDraft
from billing.domain.numbering import InvoiceSeries
from billing.domain.page.context import PeriodUsage, PlanSwitchQuote
from billing.domain.page.customer_blocks import ReliefBlock
from billing.domain.parties import Customer, TenantSettings
from billing.domain.usage import UsageEvent

if TYPE_CHECKING:
    from billing.domain.page.context import PageSettings


class WithPageDocument:
    """A tenant read with its page document (`page`: branding, offers, the page's options)."""

    settings: TenantSettings
    page: dict[str, Any]

    @cached_property
    def page_settings(self) -> PageSettings:
        """The page document read by its model (billing.services.tenants.page_document), once per
        read tenant: a warm container renders many pages from one tenant read."""
        # pydantic is imported on the first page read, not by every Lambda that imports the ports.
        from billing.services.tenants.page_document import page_settings

        return page_settings(self.page, self.settings.legal_name)


@dataclass(frozen=True)
class TenantAccount(WithPageDocument):
    settings: TenantSettings
    catalog: Catalog
    page: dict[str, Any]  # branding and page options: name, colour, support_email, ...


@dataclass(frozen=True)
class CustomerAccount:
    tenant_id: str
    customer: Customer
    subscription: Subscription
    email: str
    next_period_start: date  # the period the next invoice is for; it is issued on that day
    invoices_issued: int = 0
    balance: int = 0  # credit in minor units, applied to the next invoice
    coupons: tuple[dict[str, Any], ...] = ()  # coupon documents (docs/pricing.md), with times_applied
    # The customer's Stripe record (saved mandate, fallback), read with the customer: a new invoice
    # says from the start that it will be charged automatically (billing.services.autopay).
    stripe: dict[str, Any] = field(default_factory=dict)
    # The spend alert the customer set on the page, and when it last fired (billing.domain.spend_alerts),
    # read with the customer so usage ingestion watches it without a read of its own.
    spend_alert: dict[str, Any] = field(default_factory=dict)
    # How many keys the customer's daily usage totals are spread over (docs/usage.md): 1 unless
    # ingestion measured a volume one key cannot take. Readers pass it to UsageReader.daily.
    usage_shards: int = 1


@dataclass(frozen=True)
class PageLimits:
    """How much a page visitor may do on one invoice (one link), so nothing they do is unbounded
    (docs/invoice-page.md). Past a limit the API answers 429 and stores nothing."""

    questions_per_invoice: int = 20
    questions_per_day: int = 5
    offer_clicks_per_day: int = 50


DEFAULT_PAGE_LIMITS = PageLimits()


class InvoiceState(TypedDict, total=False):
    """What happened to an invoice after it was issued, a part per module, each written by its module
    alone under the invoice's version (billing.adapters.dynamo.invoice_state; the payment aggregate with
    its outbox event in stores/invoice_ledger.py). A part is absent until its module first writes it."""

    payments: dict[str, Any]  # the payment aggregate: billing.domain.payments.InvoicePayments.to_record()
    stripe: dict[str, Any]  # billing.domain.payments.StripeInvoiceRecord.to_record() (payments)
    autogiro: dict[str, Any]  # billing.domain.autogiro.invoice_state.AutogiroInvoiceState.to_record()
    autopay: dict[str, Any]  # a generic automatic method's attempts, read by the reminders (dunning)
    dunning: dict[str, Any]  # reminders, relief, instalments (dunning)
    delivery: dict[str, Any]  # the invoice email's fate as SES reported it (deliveries)
    credits: dict[str, Any]  # billing.domain.invoice_credits.InvoiceCredits.to_record() (credit_notes)
    bank: dict[str, Any]  # billing.domain.bgmax.deductions.NoteDeductions.to_record() (bank_payments)


@dataclass(frozen=True)
class StoredInvoice:
    invoice: Invoice
    page_token: str
    status: str  # open | paid | credited | void
    amount_due: int
    run_id: str | None = None
    page_published_at: datetime | None = None
    email_status: str | None = None  # None | sending | sent
    created_at: datetime | None = None
    amount_paid: int = 0
    paid_at: datetime | None = None
    view_count: int = 0
    first_viewed_at: datetime | None = None
    questions: tuple[dict[str, Any], ...] = ()
    question_open: bool = False
    question_first_at: datetime | None = None  # the first question: reminders pause at most so long
    feedback: dict[str, Any] | None = None
    state: InvoiceState = field(default_factory=InvoiceState)
    # The sequence of the invoice's last outbox event (billing.domain.outbox): the next one is +1.
    event_seq: int = 0

    @property
    def tenant_id(self) -> str:
        return self.invoice.tenant_id

    @property
    def invoice_id(self) -> str:
        return self.invoice.invoice_id


@dataclass(frozen=True)
class RunOutcome:
    customer_id: str
    outcome: str  # invoiced | skipped | failed
    invoice_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    tenant_id: str
    run_date: date
    status: str
    queued: int
    invoiced: int
    skipped: int
    failed: int
    amounts: dict[str, int] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def done(self) -> int:
        return self.invoiced + self.skipped + self.failed


@dataclass(frozen=True)
class IssueResult:
    stored: StoredInvoice
    created: bool  # False: an earlier attempt had already issued it (a retry)


@dataclass(frozen=True)
class IssueInputs:
    """What the worker reads for one customer in one request: the customer (None: unknown, or no
    subscription), the last number of the tenant's series, and this run's outcome for the customer."""

    account: CustomerAccount | None
    counter: int
    outcome: RunOutcome | None


# What an API key grants (billing.services.api_keys): "usage" sends usage events only, "full" is the
# whole merchant API.
SCOPE_USAGE = "usage"
SCOPE_FULL = "full"
SCOPES = (SCOPE_USAGE, SCOPE_FULL)


@dataclass(frozen=True)
class KeyGrant:
    """What a valid key grants: one tenant, one scope."""

    tenant_id: str
    scope: str

    def allows(self, scope: str) -> bool:
        return self.scope == SCOPE_FULL or self.scope == scope


class TenantDirectory(Protocol):
    def get(self, tenant_id: str) -> TenantAccount: ...


class CustomerDirectory(Protocol):
    def due(self, tenant_id: str, on: date) -> Iterator[str]: ...

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None: ...


class UsageReader(Protocol):
    def events(
        self, tenant_id: str, customer_id: str, start: datetime, end: datetime
    ) -> list[UsageEvent]: ...

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date, shards: int = 1
    ) -> dict[tuple[date, str], tuple[Decimal, int]]:
        """(local day, metric) -> (sum of values, number of events), for days in [first_day, last_day];
        `shards`: the customer's CustomerAccount.usage_shards (one Query when 1)."""
        ...


@dataclass(frozen=True)
class IssueRequest:
    """One period invoice for `InvoiceLedger.issue` to number in `series` and store in one
    transaction with the customer's next schedule and the run's outcome."""

    invoice: Invoice
    account: CustomerAccount
    next_period_start: date
    page_token: str
    run_id: str
    now: datetime
    series: InvoiceSeries
    ocr_length_digit: bool = False
    coupons_after: Sequence[dict[str, Any]] | None = None
    state: dict[str, Any] | None = None  # the invoice's initial payment state
    counter: int | None = None  # the series' last number as the caller read it (None: read it)
    # The transaction also records the email claimed by this attempt, which then publishes the page
    # and sends it.
    claim_email: bool = False
    audit: Sequence[AuditEvent] = ()  # steps written in the same transaction


@dataclass(frozen=True, kw_only=True)
class DocumentIssue:
    """One invoice issued outside a billing run (a one-off charge, a plan change's invoice): the ledger
    numbers it in `series` in the transaction that stores it, so a number is used exactly when the
    invoice is stored. `page_token` is its page."""

    invoice: Invoice
    account: CustomerAccount
    page_token: str
    now: datetime
    series: InvoiceSeries
    ocr_length_digit: bool = False


class StoredInvoices(Protocol):
    """The invoices as stored, read: one, a customer's earlier ones, the one behind a page's link."""

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None: ...

    def history(
        self, tenant_id: str, customer_id: str, before: date, limit: int = 24
    ) -> list[StoredInvoice]: ...

    def by_page_token(self, token: str) -> StoredInvoice | None: ...


class InvoiceIssuing(Protocol):
    """The billing run's writes: an invoice issued, or a period skipped, each with the run's outcome."""

    def issue(self, request: IssueRequest) -> IssueResult:
        """Allocate the next number, store the invoice, advance the customer's schedule and record
        the run outcome, all in one transaction; if the invoice exists, return it unchanged."""
        ...

    def issue_inputs(
        self, tenant_id: str, customer_id: str, run_id: str, series_prefix: str = ""
    ) -> IssueInputs:
        """The customer, the series' counter and the run's outcome for the customer, in one read."""
        ...

    def skip(
        self, *, account: CustomerAccount, next_period_start: date, run_id: str, reason: str, now: datetime
    ) -> bool:
        """Advance the schedule past a period with nothing to bill, and record the run outcome."""
        ...


class InvoiceDelivery(Protocol):
    """The invoice's page published and its email claimed, sent or given back, each once."""

    def mark_published(self, tenant_id: str, invoice_id: str, now: datetime) -> None: ...

    def claim_email(self, tenant_id: str, invoice_id: str, now: datetime) -> bool: ...

    def mark_emailed(self, tenant_id: str, invoice_id: str, now: datetime) -> None: ...

    def release_email(self, tenant_id: str, invoice_id: str) -> None: ...

    def emailed(self, stored: StoredInvoice, now: datetime, *, message_id: str | None = None) -> None:
        """After the email, in one write: the invoice's email sent, and `message_id` recorded so that
        SES's bounce finds the invoice (DeliveryLog.lookup) and the run counts it delivered."""
        ...


class PageVisits(Protocol):
    """What a visitor does on an invoice's page: views, questions, the support digest's claim, feedback
    and offer clicks, each within the page's limits."""

    def record_view(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        """Count a view; True when it was the first."""
        ...

    def add_question(
        self,
        tenant_id: str,
        invoice_id: str,
        question: dict[str, Any],
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
        asked: EventDraft | None = None,
    ) -> bool:
        """Store a question and mark the invoice questioned; False when the same question (id) is
        already there (a repeated form post). `LimitReached` past the invoice's or the day's limit.
        `asked` (question.asked) is numbered on the invoice's stream and written in the same
        transaction: nothing when the question was there already."""
        ...

    def claim_support_notice(self, tenant_id: str, invoice_id: str) -> bool:
        """True for the one caller that should email support the digest of the open questions: once
        per round of questions (a round ends when every question is answered)."""
        ...

    def release_support_notice(self, tenant_id: str, invoice_id: str) -> None:
        """The digest could not be sent: the next question (or the retried post) claims it again."""
        ...

    def set_feedback(self, tenant_id: str, invoice_id: str, feedback: dict[str, Any]) -> None: ...

    def record_offer_click(
        self,
        tenant_id: str,
        invoice_id: str,
        offer_id: str,
        now: datetime,
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
    ) -> None:
        """Count the click; `LimitReached` past the day's limit for this invoice."""
        ...


class VisitedInvoices(StoredInvoices, PageVisits, Protocol):
    """The invoices and what visitors do on their pages (billing.services.invoice_pages.PageActions)."""


class InvoiceLedger(StoredInvoices, InvoiceIssuing, InvoiceDelivery, PageVisits, Protocol):
    """The Invoices table, whole (billing.adapters.dynamo.stores.DynamoInvoiceLedger). A use case
    names the narrowest part it uses."""


@dataclass(frozen=True)
class AuditEvent:
    action: str
    actor: str  # system | customer | operator | stripe | bankgirot
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    actor_id: str | None = None
    # Set when the step comes from an outbox event (its id): written once however often it is driven.
    key: str | None = None


class AuditTrail(Protocol):
    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None: ...

    def events(self, tenant_id: str, invoice_id: str) -> list[AuditEvent]: ...


class RunLedger(Protocol):
    def start(self, run_id: str, tenant_id: str, run_date: date, now: datetime) -> None: ...

    def mark_queued(self, run_id: str, tenant_id: str, customer_ids: Sequence[str]) -> None: ...

    def outcome(self, run_id: str, customer_id: str) -> RunOutcome | None: ...

    def record_failure(self, run_id: str, customer_id: str, reason: str, now: datetime) -> None: ...

    def summary(self, run_id: str) -> RunSummary | None: ...

    def finish_if_done(self, run_id: str, now: datetime) -> RunSummary | None: ...

    def failed_customers(self, run_id: str) -> list[str]: ...

    def mark_delivered(self, run_id: str, customer_id: str) -> None: ...

    def undelivered(self, run_id: str) -> list[str]:
        """Customers invoiced in this run whose email is not confirmed sent (the page is published
        before the invoice is stored)."""
        ...


class InvoiceQueue(Protocol):
    def send_all(self, messages: Iterable[dict[str, Any]]) -> int: ...


@dataclass(frozen=True)
class RenderedInvoice:
    page_html: str
    email_subject: str
    email_text: str
    email_html: str
    pdf: bytes | None = None  # the PDF copy, stored next to the page


@dataclass(frozen=True)
class PageInputs:
    """What one invoice's customer page is built from, read once by the caller: the invoice, its
    merchant and customer, the customer's earlier invoices, the customer's own day, and the periods of
    usage the plan-fit advice reads. The page, its email, a reminder and the exit's advice all take it,
    so they cannot disagree on what they were shown."""

    stored: StoredInvoice
    tenant: TenantAccount
    account: CustomerAccount
    history: list[StoredInvoice]
    today: date
    usage: list[PeriodUsage] | None = None


class InvoicePresenter(Protocol):
    """Turns a stored invoice and what we know of the customer into the page and the email."""

    def present(self, inputs: PageInputs) -> RenderedInvoice: ...


@dataclass(frozen=True)
class PageFacts:
    """What the invoice page shows of the invoice's record beyond the invoice (payments, Autogiro,
    dunning, credit notes, the payment control), by the name of the `PageLinks` and `InvoiceState`
    field each fills; the plan switches the advice may offer, and the relief block."""

    links: Mapping[str, Any]
    state: Mapping[str, Any]
    plan_switches: tuple[PlanSwitchQuote, ...] = ()
    relief: ReliefBlock | None = None  # the page's relief block (not in the email)


class PageFactsSource(Protocol):
    """Reads `PageFacts` from the stored state with the use cases' own rules
    (billing.services.page_facts), so the presenter renders what the use cases decided."""

    def __call__(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        today: date,
        api_base: str,
    ) -> PageFacts: ...


class PagePublisher(Protocol):
    def publish(self, key: str, body: bytes, content_type: str) -> None: ...


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class TokenSource(Protocol):
    def page_token(self) -> str: ...
