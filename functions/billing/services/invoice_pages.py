"""The invoice page after it is issued: re-rendering it, and what customers do on it.

Every change of an invoice's state (a question, an answer, feedback, a payment, a reminder, autopay)
ends in `InvoicePages.publish`, which renders the page again from stored state and puts it at the same
unguessable key: the emailed link never goes stale.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from billing.domain.merchant_events import question_asked_draft
from billing.domain.page.context import PeriodUsage
from billing.domain.page.history import earliest_usage_start, recent_usage
from billing.domain.periods import Interval, local_date
from billing.domain.usage import UsageEvent
from billing.services.billed_usage import billed_usage
from billing.services.errors import InvoiceNotFound, PermanentError
from billing.services.ports import (
    DEFAULT_PAGE_LIMITS,
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    CustomerDirectory,
    InvoicePresenter,
    Mailer,
    PageInputs,
    PageLimits,
    PagePublisher,
    RenderedInvoice,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
    TenantDirectory,
    UsageReader,
    VisitedInvoices,
)

PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
MAX_QUESTION_LENGTH = 2000
MAX_FEEDBACK_LENGTH = 1000


def page_key(token: str) -> str:
    return f"i/{token}"


def customer_today(clock: Clock, account: CustomerAccount) -> date:
    """Today on the customer's own calendar: a page or email rendered just after midnight in Stockholm
    must not call an invoice due "today" that was due yesterday there (the clock runs in UTC)."""
    return local_date(clock.now(), ZoneInfo(account.customer.timezone))


def invoice_parties(
    tenants: TenantDirectory, customers: CustomerDirectory, stored: StoredInvoice
) -> tuple[TenantAccount, CustomerAccount]:
    """The tenant and the customer of a stored invoice; a customer gone since is a PermanentError."""
    tenant = tenants.get(stored.tenant_id)
    account = customers.get(stored.tenant_id, stored.invoice.customer_id)
    if account is None:
        raise PermanentError("the invoice's customer is gone", field="customer_id")
    return tenant, account


@dataclass(kw_only=True, eq=False)
class InvoicePages:
    tenants: TenantDirectory
    customers: CustomerDirectory
    invoices: StoredInvoices
    presenter: InvoicePresenter
    pages: PagePublisher
    clock: Clock
    usage: UsageReader | None = None

    def load(self, stored: StoredInvoice) -> tuple[TenantAccount, CustomerAccount]:
        return invoice_parties(self.tenants, self.customers, stored)

    def render(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        usage: Sequence[UsageEvent] | None = None,
    ) -> RenderedInvoice:
        """`usage`: the customer's usage from `usage_start` on, when the caller has read it already."""
        return self.presenter.present(self.inputs(stored, tenant, account, usage))

    def inputs(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        usage: Sequence[UsageEvent] | None = None,
    ) -> PageInputs:
        """What the page of `stored` is built from today: its history, the customer's day and the
        periods of usage its plan-fit advice reads (the honest exit shows the same advice)."""
        history = self.invoices.history(stored.tenant_id, account.customer.id, stored.invoice.issue_date)
        periods = self._recent_usage(stored, tenant, account, usage)
        return PageInputs(stored, tenant, account, history, customer_today(self.clock, account), periods)

    def usage_start(self, tenant: TenantAccount, account: CustomerAccount, before: date) -> date | None:
        """The first local day the plan-fit advice reads, on an invoice whose period starts `before`
        (None: no advice, nothing to read)."""
        if self.usage is None:
            return None
        interval, count = _plan_fit(tenant, account)
        return earliest_usage_start(account.subscription, interval, before, count)

    def _recent_usage(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        events: Sequence[UsageEvent] | None,
    ) -> list[PeriodUsage]:
        """The customer's whole periods of usage before this invoice, for plan-fit advice."""
        invoice = stored.invoice
        if self.usage is None or invoice.period is None:
            return []
        interval, count = _plan_fit(tenant, account)
        before = invoice.period.start
        start = earliest_usage_start(account.subscription, interval, before, count)
        if start is None:
            return []
        if events is None:
            events = billed_usage(
                self.usage,
                tenant.catalog,
                stored.tenant_id,
                account.customer.id,
                account.customer.timezone,
                start,
                before,
                shards=account.usage_shards,
            )
        return list(
            recent_usage(events, account.subscription, interval, before, count, account.customer.timezone)
        )

    def publish(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount | None = None,
        account: CustomerAccount | None = None,
        usage: Sequence[UsageEvent] | None = None,
    ) -> RenderedInvoice:
        if tenant is None or account is None:
            tenant, account = self.load(stored)
        rendered = self.render(stored, tenant, account, usage)
        # A PUT of the same key: repeating it is harmless, so callers may always call it again.
        self.pages.publish(page_key(stored.page_token), rendered.page_html.encode("utf-8"), PAGE_CONTENT_TYPE)
        if rendered.pdf is not None:
            self.pages.publish(page_key(stored.page_token) + ".pdf", rendered.pdf, "application/pdf")
        return rendered

    def refresh(self, tenant_id: str, invoice_id: str) -> StoredInvoice:
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice_id")
        self.publish(stored)
        return stored


@dataclass(frozen=True)
class QuestionAsked:
    stored: StoredInvoice
    question_id: str
    new: bool


@dataclass(kw_only=True, eq=False)
class PageActions:
    """What a customer can do from the page: be counted as a reader, ask, answer the poll, click."""

    pages: InvoicePages
    invoices: VisitedInvoices
    audit: AuditTrail
    mailer: Mailer
    clock: Clock
    limits: PageLimits = DEFAULT_PAGE_LIMITS

    def by_token(self, token: str) -> StoredInvoice:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        return stored

    def seen(self, token: str) -> None:
        stored = self.by_token(token)
        now = self.clock.now()
        if self.invoices.record_view(stored.tenant_id, stored.invoice_id, now):
            self.audit.append(
                stored.tenant_id, stored.invoice_id, AuditEvent("first_viewed", "customer", now)
            )

    def ask(self, token: str, text: str, line_id: str | None) -> QuestionAsked:
        stored = self.by_token(token)
        text = (text or "").strip()
        if not text:
            raise PermanentError("write your question", field="text")
        if len(text) > MAX_QUESTION_LENGTH:
            raise PermanentError(f"at most {MAX_QUESTION_LENGTH} characters", field="text")
        line_id = (line_id or "").strip() or None
        if line_id is not None and stored.invoice.line(line_id) is None:
            raise PermanentError("not a line of this invoice", field="line_id")
        # The same words about the same line are the same question: a double click, or the form
        # posted again after the script's fetch, must not ask twice.
        question_id = hashlib.sha256(f"{line_id}|{text}".encode()).hexdigest()[:16]
        now = self.clock.now()
        question = {"question_id": question_id, "asked_at": now.isoformat(), "text": text, "line_id": line_id}
        # LimitReached (429) past the invoice's or the day's limit: nothing is stored, nobody emailed.
        # The merchant's question.asked is written with the question itself (once per question).
        asked = question_asked_draft(stored.invoice, question, now)
        new = self.invoices.add_question(stored.tenant_id, stored.invoice_id, question, self.limits, asked)
        tenant, account = self.pages.load(stored)
        if new:
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent(
                    "question_asked", "customer", now, {"question_id": question_id, "line_id": line_id}
                ),
            )
        refreshed = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        # Also on a repeated post: if the digest could not be sent the first time, it goes now.
        self._notify_support(refreshed, tenant, account)
        if new:
            self.pages.publish(refreshed, tenant, account)
        return QuestionAsked(refreshed, question_id, new)

    def _notify_support(self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount) -> None:
        """One digest per round of questions, not one email per question: the first question of a round
        claims the notice and the email lists every question then open; later ones wait for the answer
        (`billing question list` shows them all). A round ends when every question is answered."""
        support = tenant.page_settings.support_email or tenant.settings.email
        if not support or not stored.question_open:
            return
        if not self.invoices.claim_support_notice(stored.tenant_id, stored.invoice_id):
            return
        invoice = stored.invoice
        open_questions = [q for q in stored.questions if not q.get("answered_at")]
        parts = []
        for q in sorted(open_questions, key=lambda q: str(q.get("asked_at"))):
            line = invoice.line(str(q["line_id"])) if q.get("line_id") else None
            about = f" (about the line “{visible(line.description)}”)" if line else ""
            parts.append(
                f"- {q.get('asked_at', '')[:16].replace('T', ' ')} UTC{about}:\n{visible(str(q['text']))}"
            )
        name = visible(account.customer.name)
        body = (
            f"{name} has {len(open_questions)} open question(s) on invoice {invoice.number}:\n\n"
            + "\n\n".join(parts)
            + f"\n\nReply to the customer at {account.email}, and answer with `billing question answer` "
            f"(`billing question list --tenant {stored.tenant_id} --invoice {stored.invoice_id}`). "
            "Further questions on this invoice are not emailed until every open one is answered. Reminders "
            "for this invoice wait while a question is open, at most the tenant's maximum pause."
        )
        try:
            self.mailer.send(
                to=str(support),
                subject=f"Questions on invoice {invoice.number} from {name}",
                text=body,
                html="<pre>" + _escape(body) + "</pre>",
                reply_to=account.email,
            )
        except Exception:
            self.invoices.release_support_notice(stored.tenant_id, stored.invoice_id)
            raise

    def feedback(self, token: str, score: str, text: str | None) -> StoredInvoice:
        stored = self.by_token(token)
        try:
            value = int(score)
        except (TypeError, ValueError) as exc:
            raise PermanentError("choose a score", field="score") from exc
        if not 0 <= value <= 10:
            raise PermanentError("must be from 0 to 10", field="score")
        comment = (text or "").strip()[:MAX_FEEDBACK_LENGTH] or None
        now = self.clock.now()
        self.invoices.set_feedback(
            stored.tenant_id, stored.invoice_id, {"score": value, "text": comment, "at": now.isoformat()}
        )
        self.audit.append(stored.tenant_id, stored.invoice_id, AuditEvent("feedback_given", "customer", now))
        refreshed = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        self.pages.publish(refreshed)
        return refreshed

    def offer_clicked(self, token: str, offer_id: str) -> str:
        """Record the click and return where the offer leads."""
        stored = self.by_token(token)
        tenant, _ = self.pages.load(stored)
        # The tenant's offers as the page shows them: each URL was checked http(s) when it was read.
        target = next((o for o in tenant.page_settings.offers if o.offer_id == offer_id), None)
        if target is None:
            raise PermanentError("no such offer", field="offer_id")
        self.invoices.record_offer_click(
            stored.tenant_id, stored.invoice_id, offer_id, self.clock.now(), self.limits
        )
        return target.url


def visible(text: str) -> str:
    """Text a visitor wrote, safe to show an operator: control and invisible formatting characters
    (NUL, right-to-left overrides, zero-width spaces) become their code point, so an email cannot hide
    or reorder what the customer really wrote. Line breaks and tabs stay."""
    return "".join(
        ch
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        else f"[U+{ord(ch):04X}]"
        for ch in text
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plan_fit(tenant: TenantAccount, account: CustomerAccount) -> tuple[Interval, int]:
    """The customer's billing interval and how many whole periods the plan-fit advice looks back."""
    interval = tenant.catalog.plan(account.subscription.phases[0].plan_code).interval
    return interval, tenant.page_settings.plan_fit_periods
