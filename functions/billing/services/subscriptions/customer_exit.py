"""The honest exit (issue 18): the customer cancels from their invoice page, by its link, in two steps
(`GET /v1/pages/{token}/exit` shows the page, its one button posts the cancellation).

The page states what the engine computes: the end date and the last invoice's fees and credits from
the cancellation use case's own preview (at period end: nothing is credited, the period runs out), and
the cheaper plan that fits if the customer's usage shows one, and the pause where the merchant allows
one (taken by billing.services.subscriptions.customer_pause). Confirming carries out the cancellation
through that same use case (billing.services.subscriptions.cancel), then emails a confirmation with
the end date. The email is durable the way the customer acts: a repeated confirm (a retry after an
error, a second click) sends it if it has not gone out yet, never twice (a claim per subscription end).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from billing.domain.page.exit import ExitView, build_exit_view, with_pause
from billing.domain.page.prices import PriceBasis
from billing.domain.page.view import PlanFitView
from billing.domain.pauses import pause_policy
from billing.services.deliveries.ports import EngagementCounts
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.invoices.upcoming import invoice_so_far
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    Mailer,
    PageInputs,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
    UsageReader,
)
from billing.services.subscriptions.cancel import CancelSubscription
from billing.services.subscriptions.documents import today_for
from billing.services.subscriptions.fields import Cancellation


class PlanAdvice(Protocol):
    def plan_fit(self, inputs: PageInputs) -> PlanFitView | None:
        """The invoice page's plan-fit advice for this customer, from the page's own inputs (None: none
        to give)."""
        ...


class ExitConfirmations(Protocol):
    def claim(self, tenant_id: str, customer_id: str, end_date: date) -> bool:
        """True for the one caller that sends the confirmation of this end."""
        ...

    def release(self, tenant_id: str, customer_id: str, end_date: date) -> None: ...


class ExitMail(Protocol):
    def confirmed(self, view: ExitView, country: str) -> tuple[str, str, str]: ...


@dataclass(frozen=True)
class CustomerExit:
    invoices: StoredInvoices
    pages: InvoicePages
    cancel: CancelSubscription
    advice: PlanAdvice
    confirmations: ExitConfirmations
    mailer: Mailer
    mail: ExitMail
    audit: AuditTrail
    clock: Clock
    pages_base_url: str
    api_base_url: str
    counts: EngagementCounts | None = None
    usage: UsageReader | None = None  # the usage so far, shown with the last invoice

    def page(self, token: str) -> ExitView:
        stored, tenant, account = self._load(token)
        subscription = account.subscription
        if subscription.end_date is not None:
            ended = self._view(stored, tenant, account, subscription.end_date, True, None, None)
            return self._with_pause(ended, stored, tenant, account)
        preview = self.cancel(
            stored.tenant_id, account.customer.id, Cancellation(at="period_end"), preview=True
        )
        total = preview.next_invoice.total if preview.next_invoice is not None else None
        fit = self._plan_fit(stored, tenant, account)
        end = date.fromisoformat(preview.effective_date)
        view = self._with_pause(
            self._view(stored, tenant, account, end, False, total, fit), stored, tenant, account
        )
        if self.usage is None:
            return view
        # The usage the last invoice bills on top, as far as it has come: the engine's invoice so far.
        so_far = invoice_so_far(tenant, account, self.usage, self.clock.now())
        basis = PriceBasis(incl_vat=not account.customer.is_business)
        used = sum(basis.amount(x.amount, x.vat_rate) for x in so_far.lines if x.kind == "usage")
        return replace(view, usage_so_far=used)

    def _plan_fit(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> PlanFitView | None:
        """The advice as the invoice page gives it, read from the same history, day and usage."""
        return self.advice.plan_fit(self.pages.inputs(stored, tenant, account))

    def confirm(self, token: str) -> ExitView:
        stored, tenant, account = self._load(token)
        customer_id = account.customer.id
        now = self.clock.now()
        if account.subscription.end_date is None:
            result = self.cancel(stored.tenant_id, customer_id, Cancellation(at="period_end"))
            end = date.fromisoformat(result.effective_date)
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent("cancelled_from_page", "customer", now, {"ends": end.isoformat()}),
            )
            if self.counts is not None:
                self.counts.add(stored.tenant_id, f"{now:%Y-%m}", "exits")
            tenant, account = self.pages.load(stored)
            self.pages.publish(stored, tenant, account)
        end_date = account.subscription.end_date
        assert end_date is not None
        view = self._view(stored, tenant, account, end_date, True, None, None)
        if self.confirmations.claim(stored.tenant_id, customer_id, end_date):
            try:
                subject, text, html = self.mail.confirmed(view, account.customer.country or "SE")
                self.mailer.send(to=account.email, subject=subject, text=text, html=html)
            except Exception:
                self.confirmations.release(stored.tenant_id, customer_id, end_date)
                raise
        return view

    def _with_pause(
        self, view: ExitView, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> ExitView:
        subscription = account.subscription
        return with_pause(
            view,
            subscription,
            tenant.catalog.plan(subscription.phases[0].plan_code).interval,
            today_for(account.customer, self.clock.now()),
            pause_policy(tenant.page),
            f"{self.api_base_url}/v1/pages/{stored.page_token}/pause",
        )

    def _load(self, token: str) -> tuple[StoredInvoice, TenantAccount, CustomerAccount]:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        tenant, account = self.pages.load(stored)
        return stored, tenant, account

    def _view(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        end_date: date,
        ended: bool,
        total: int | None,
        fit: PlanFitView | None,
    ) -> ExitView:
        return build_exit_view(
            language=account.customer.language,
            brand=tenant.page_settings.branding.name,
            colour=tenant.page_settings.branding.colour,
            customer_name=account.customer.name,
            currency=stored.invoice.currency,
            page_url=f"{self.pages_base_url}/i/{stored.page_token}",
            confirm_url=f"{self.api_base_url}/v1/pages/{stored.page_token}/exit",
            end_date=end_date,
            ended=ended,
            last_invoice_total=total,
            plan_fit=fit,
            incl_vat=not account.customer.is_business,
        )
