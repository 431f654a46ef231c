"""Billing runs: start one for a tenant and date, and issue one customer's invoice.

A run is identified by tenant and date, so a retried or repeated start joins the same run. The starter
finds customers due through the due index and queues one message per customer (`InvoiceRequested`).
The worker for one message is safe to repeat at any point: the invoice, its number, the customer's
next period, the run outcome, the page published and the claim on the email are written in one
transaction (the page is rendered and put before it), and what follows it (the email) is re-driven
from stored state until done.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from billing.domain.invoice import Invoice
from billing.domain.numbering import customer_series
from billing.domain.periods import local_midnight, next_period, period_containing, previous_period
from billing.domain.pricing import compute_invoice
from billing.domain.scenario import parse_coupon
from billing.domain.usage import UsageEvent
from billing.services.billed_usage import billed_usage, billed_window
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoicePages, RenderedInvoice
from billing.services.ports import (
    Clock,
    CustomerAccount,
    CustomerDirectory,
    InvoiceLedger,
    InvoiceQueue,
    IssueRequest,
    Mailer,
    RunLedger,
    StoredInvoice,
    TenantAccount,
    TenantDirectory,
    UsageReader,
)

if TYPE_CHECKING:
    from billing.services.autopay import AutopayAtIssue


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomTokens:
    def page_token(self) -> str:
        # 192 random bits: the link is the only key to the page, so it must not be guessable and must
        # not be derived from anything an attacker can know (ids, numbers, dates).
        return secrets.token_urlsafe(24)


def run_id_for(tenant_id: str, run_date: date) -> str:
    return f"{tenant_id}:{run_date.isoformat()}"


@dataclass(frozen=True)
class InvoiceRequested:
    """Queue message: invoice this customer for the period due on or before run_date (read back by
    billing.handlers.messages)."""

    tenant_id: str
    customer_id: str
    run_id: str
    run_date: date

    def to_message(self) -> dict[str, Any]:
        return {
            "type": "InvoiceRequested",
            "tenant_id": self.tenant_id,
            "customer_id": self.customer_id,
            "run_id": self.run_id,
            "run_date": self.run_date.isoformat(),
        }


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    queued: int


@dataclass(eq=False)
class StartBillingRun:
    customers: CustomerDirectory
    runs: RunLedger
    queue: InvoiceQueue
    clock: Clock

    def __call__(self, tenant_id: str, run_date: date, only: Sequence[str] = ()) -> RunStarted:
        run_id = run_id_for(tenant_id, run_date)
        self.runs.start(run_id, tenant_id, run_date, self.clock.now())
        due = list(only) if only else list(self.customers.due(tenant_id, run_date))
        # A customer invoiced by an earlier attempt of this run whose page or email did not go out
        # (the worker died after the transaction, and its message went to the DLQ) is no longer due,
        # so it is found through the run record and queued again to finish the delivery.
        due += [c for c in self.runs.undelivered(run_id) if c not in set(due)]
        # Recorded before sending: a crash in between re-queues on retry (harmless, the worker is
        # idempotent), while the reverse order could leave a customer invoiced but not counted as due.
        self.runs.mark_queued(run_id, tenant_id, due)
        sent = self.queue.send_all(InvoiceRequested(tenant_id, c, run_id, run_date).to_message() for c in due)
        self.runs.finish_if_done(run_id, self.clock.now())
        return RunStarted(run_id, sent)


@dataclass(frozen=True)
class IssueOutcome:
    outcome: str  # invoiced | already_invoiced | skipped
    invoice_id: str | None = None
    total: int = 0
    currency: str | None = None
    emailed: bool = False


@dataclass(kw_only=True, eq=False)
class IssueInvoice:
    """One customer's invoice in one run (docs/architecture.md, the worker's requests): one read of the
    customer, the series' counter and the run outcome (`issue_inputs`); the usage totals
    (`UsageReader`, once); the issuing transaction, which also records this attempt's claim on the
    email; then the page (with the earlier invoices it shows), the email, and one write (`emailed`:
    page published, email sent). The tenant comes from the directory's per-instance cache. The page
    comes after the commit so that the counter is held only from its read to the commit.

    A crash anywhere converges: before the transaction nothing is stored; after it, the run outcome
    points at the invoice and `deliver` finishes the job from stored state (an email claimed by an
    attempt that died is claimed again once stale; one that failed in this process is released)."""

    tenants: TenantDirectory
    usage: UsageReader
    invoices: InvoiceLedger
    runs: RunLedger
    pages: InvoicePages
    mailer: Mailer
    clock: Clock
    tokens: RandomTokens = field(default_factory=RandomTokens)
    # Without it the invoice is issued for payment by hand (tests and tools that need no mandates).
    autopay: AutopayAtIssue | None = None

    def __call__(self, request: InvoiceRequested) -> IssueOutcome:
        tenant = self.tenants.get(request.tenant_id)
        series = customer_series(tenant.settings, request.customer_id)
        inputs = self.invoices.issue_inputs(
            request.tenant_id, request.customer_id, request.run_id, series.prefix
        )
        account = inputs.account
        if account is None:
            raise PermanentError(f"no customer {request.customer_id} for tenant", field="customer_id")
        # An earlier attempt of this message may have issued the invoice and died before the page or
        # the email: the run outcome (written in the issuing transaction) points at it.
        previous = inputs.outcome
        if previous is not None:
            if previous.invoice_id is None:
                return IssueOutcome(previous.outcome)
            stored = self.invoices.get(request.tenant_id, previous.invoice_id)
            if stored is None:  # pragma: no cover - the transaction writes both or neither
                raise PermanentError("run outcome points at a missing invoice", field="invoice_id")
            emailed = self.deliver(stored, tenant, account)
            return IssueOutcome(
                "already_invoiced", stored.invoice_id, stored.invoice.total, stored.invoice.currency, emailed
            )

        if account.next_period_start > request.run_date:
            # Invoiced by another run (a manual one, or an earlier date): nothing due in this one.
            self.invoices.skip(
                account=account,
                next_period_start=account.next_period_start,
                run_id=request.run_id,
                reason="not due",
                now=self.clock.now(),
            )
            return IssueOutcome("skipped")

        invoice, coupons_after, usage = self._compute(tenant, account)
        following = self._following_period_start(tenant, account)
        now = self.clock.now()
        if invoice is None:
            self.invoices.skip(
                account=account,
                next_period_start=following,
                run_id=request.run_id,
                reason="nothing to bill",
                now=now,
            )
            return IssueOutcome("skipped")
        # Read before the transaction and stored in it: a retry finds the invoice with this state and
        # never asks again, so the first email and the page agree on how it will be paid.
        state = self.autopay.state(tenant, account, invoice, now) if self.autopay else {}
        audit_event = self.autopay.audit_event(state, now) if self.autopay else None
        result = self.invoices.issue(
            IssueRequest(
                invoice=invoice,
                account=account,
                next_period_start=following,
                page_token=self.tokens.page_token(),
                run_id=request.run_id,
                now=now,
                series=series,
                ocr_length_digit=tenant.settings.ocr_length_digit,
                coupons_after=coupons_after,
                state=state,
                counter=inputs.counter,
                claim_email=True,
                audit=[audit_event] if audit_event is not None else [],
            )
        )
        if result.created:
            # The page carries the number, so it is rendered once the number is this invoice's.
            try:
                rendered = self.pages.publish(result.stored, tenant, account, usage)
            except Exception:
                # The transaction claimed the email for this attempt: a page that could not be put
                # must not hold it for the claim's 15 minutes; the redelivered message sends it.
                self.invoices.release_email(result.stored.tenant_id, result.stored.invoice_id)
                raise
            emailed = self._send(result.stored, tenant, account, rendered)
        else:
            emailed = self.deliver(result.stored, tenant, account)
        return IssueOutcome(
            "invoiced" if result.created else "already_invoiced",
            result.stored.invoice_id,
            result.stored.invoice.total,
            result.stored.invoice.currency,
            emailed,
        )

    def _compute(
        self, tenant: TenantAccount, account: CustomerAccount
    ) -> tuple[Invoice | None, list[dict[str, Any]] | None, list[UsageEvent]]:
        """The invoice (None: nothing to bill), the coupons after it, and the usage read for it: from
        the earlier of the billed period and the page's plan-fit periods, so the page reuses it."""
        subscription = account.subscription
        plan = tenant.catalog.plan(subscription.phases[0].plan_code)
        period = period_containing(
            account.next_period_start, plan.interval, subscription.anchor, subscription.anchor_day
        )
        previous = previous_period(period, plan.interval, subscription.anchor, subscription.anchor_day)
        # Fees are billed in advance for `period`, usage in arrears for the one before it; the page's
        # plan-fit advice looks further back, and one read serves both (events outside the billed
        # period do not change the invoice).
        advice_from = self.pages.usage_start(tenant, account, period.start)
        first_day = min(previous.start, advice_from) if advice_from else previous.start
        events = billed_usage(
            self.usage,
            tenant.catalog,
            tenant.settings.tenant_id,
            account.customer.id,
            account.customer.timezone,
            first_day,
            period.start,
            # A level held over time (weighted sum) needs the last event before the window.
            raw_from=local_midnight(first_day, ZoneInfo(account.customer.timezone)).replace(
                year=first_day.year - 1
            ),
            shards=account.usage_shards,
        )
        balance = max(0, account.balance)
        coupons = [parse_coupon(c, f"customer.coupons[{i}]") for i, c in enumerate(account.coupons)]
        invoice = compute_invoice(
            tenant=tenant.settings,
            catalog=tenant.catalog,
            customer=account.customer,
            subscription=subscription,
            events=billed_window(events, tenant.catalog, previous.start, account.customer.timezone),
            period_start=period.start,
            balance=balance,
            coupons=coupons,
        )
        if not invoice.lines:
            return None, None, events
        # A coupon counts a period whenever it was active on the period's invoice ("for 3 periods"
        # means three invoices), whether or not anything on it was eligible; stored with the invoice.
        coupons_after = [
            {**doc, "times_applied": coupon.times_applied + 1} if coupon.is_active else doc
            for doc, coupon in zip(account.coupons, coupons, strict=True)
        ]
        return invoice, (coupons_after if account.coupons else None), events

    def _following_period_start(self, tenant: TenantAccount, account: CustomerAccount) -> date:
        subscription = account.subscription
        plan = tenant.catalog.plan(subscription.phases[0].plan_code)
        period = period_containing(
            account.next_period_start, plan.interval, subscription.anchor, subscription.anchor_day
        )
        return next_period(period, plan.interval, subscription.anchor, subscription.anchor_day).start

    def deliver(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        usage: list[UsageEvent] | None = None,
    ) -> bool:
        """Publish the page and email its link, each once; safe to call again after a crash (and the
        path of invoices issued elsewhere: one-off invoices, credit notes, plan changes). `usage`: what
        `_compute` read, when this attempt computed the invoice (else the page reads its own)."""
        now = self.clock.now()
        rendered = self.pages.publish(stored, tenant, account, usage)
        if stored.page_published_at is None:
            self.invoices.mark_published(stored.tenant_id, stored.invoice_id, now)
        if stored.email_status == "sent":
            self._delivered(stored, account)
            return False
        if not self.invoices.claim_email(stored.tenant_id, stored.invoice_id, now):
            return False  # another attempt holds the claim or has sent it
        return self._send(stored, tenant, account, rendered)

    def _send(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        rendered: RenderedInvoice,
    ) -> bool:
        """Send the email this attempt has claimed, then record it sent in one write."""
        try:
            message_id = self.mailer.send(
                to=account.email,
                subject=rendered.email_subject,
                text=rendered.email_text,
                html=rendered.email_html,
                reply_to=tenant.page_settings.support_email,
            )
        except Exception:
            self.invoices.release_email(stored.tenant_id, stored.invoice_id)
            raise
        self.invoices.emailed(stored, self.clock.now(), message_id=message_id or None)
        return True

    def _delivered(self, stored: StoredInvoice, account: CustomerAccount) -> None:
        if stored.run_id:
            self.runs.mark_delivered(stored.run_id, account.customer.id)
