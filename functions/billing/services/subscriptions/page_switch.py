"""The customer's side of a plan change: the invoice page's plan advice offers the switch it
recommends with its terms, and one press (`POST /v1/pages/{token}/plan`) makes it through the same
use case as the merchant's API (billing.services.subscriptions.change_plan.ChangePlan).

Render (`switch_quotes`): for each plan of the catalog, what ChangePlan would do on the render's day
(an upgrade takes effect at once and its prorated invoice is due now; a downgrade at the period's end,
nothing now), computed by the same engine call, and `basis`, a fingerprint of the subscription it was
computed from. Plans ChangePlan would refuse today are not offered.

Press (`SwitchPlanFromPage`): the form carries the plan, the basis and the amount the page showed.
- the subscription already leads to that plan (a double click, a retried post): nothing changes; the
  confirmation goes out if it has not (it did not on a send that failed), and the page is shown;
- the subscription changed since the page was made, or today's price differs from the one shown (a
  page read days later): refused with words saying so, and the page is re-rendered with today's terms;
- otherwise ChangePlan makes the change (an upgrade issues and delivers its invoice), the audit trail
  records `plan_switched`, the page is re-rendered, and a confirmation email goes out once: the audit
  entry `plan_switch_confirmed` is written after the send, and a retry sends only without it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from billing.domain.catalog import Subscription
from billing.domain.page.context import PlanSwitchQuote
from billing.domain.pricing import quote_plan_change
from billing.domain.pricing_errors import ScenarioError
from billing.services.errors import PermanentError, SwitchRefused
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    Mailer,
    StoredInvoice,
    StoredInvoices,
    TenantAccount,
)
from billing.services.subscriptions.documents import SubscriptionConflict, checked, to_document
from billing.services.subscriptions.fields import ChangeResult, PlanChange
from billing.services.subscriptions.ports import SubscriptionRecords

_BASIS = re.compile(r"[0-9a-f]{16}")
REFUSED_RENDER_GAP = timedelta(minutes=1)
_PLAN = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def basis_of(subscription: Subscription) -> str:
    """The subscription as the page saw it: any change to it (plan, phases, end) changes this."""
    document = json.dumps(to_document(subscription), sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()[:16]


def switch_quotes(
    tenant: TenantAccount, account: CustomerAccount, today: date
) -> tuple[PlanSwitchQuote, ...]:
    """What switching to each other plan would do today, as ChangePlan computes it."""
    subscription = account.subscription
    on_plan = subscription.plan_code_on(today)
    if on_plan is None:
        return ()  # not active today (ended, or not begun): ChangePlan would refuse
    basis = basis_of(subscription)
    scheduled = subscription.phases[-1]
    quotes = []
    if scheduled.plan_code != on_plan or (scheduled.start == today and len(subscription.phases) > 1):
        # A switch is made (scheduled for later, or taken today): the page says so, no button.
        quotes.append(
            PlanSwitchQuote(
                scheduled.plan_code, scheduled.start, scheduled.start <= today, 0, "", basis, done=True
            )
        )
        return tuple(quotes)
    for code in tenant.catalog.plans:
        if code == on_plan:
            continue
        try:
            quote = quote_plan_change(
                tenant=tenant.settings,
                catalog=tenant.catalog,
                customer=account.customer,
                subscription=subscription,
                new_plan_code=code,
                requested_on=today,
            )
        except ScenarioError:
            continue
        if subscription.end_date is not None and quote.effective_date >= subscription.end_date:
            continue
        currency = tenant.catalog.plans[code].currency
        quotes.append(
            PlanSwitchQuote(code, quote.effective_date, quote.immediate, quote.due_now, currency, basis)
        )
    return tuple(quotes)


class PlanChanger(Protocol):
    def __call__(
        self, tenant_id: str, customer_id: str, request: PlanChange, *, preview: bool = False
    ) -> ChangeResult: ...


class SwitchConfirmation(Protocol):
    """Words the confirmation email in the customer's language (billing.adapters.plan_switch_mail)."""

    def switched(
        self,
        stored: StoredInvoice,
        tenant_name: str,
        plan_name: str,
        result: Mapping[str, object],
        page_url: str,
    ) -> tuple[str, str, str]:
        """(subject, text, html); `result`: effective_date, immediate, due_now, invoice_number."""
        ...


@dataclass(frozen=True)
class PlanSwitched:
    stored: StoredInvoice
    plan: str
    effective_date: str
    new: bool  # False: it was made already (a double click, a retry)


def _field(fields: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = (fields.get(name) or "").strip()
    if not pattern.fullmatch(value):
        raise PermanentError("missing or not valid", field=name)
    return value


@dataclass(frozen=True)
class SwitchPlanFromPage:
    invoices: StoredInvoices
    pages: InvoicePages
    records: SubscriptionRecords
    change_plan: PlanChanger
    mailer: Mailer
    confirmation: SwitchConfirmation
    audit: AuditTrail
    clock: Clock
    pages_base_url: str

    def __call__(self, token: str, fields: Mapping[str, str]) -> PlanSwitched:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        plan = _field(fields, "plan", _PLAN)
        basis = _field(fields, "basis", _BASIS)
        quoted_text = _field(fields, "quoted", re.compile(r"\d{1,12}"))
        tenant_id, customer_id = stored.tenant_id, stored.invoice.customer_id
        subscription = self._subscription(tenant_id, customer_id)
        if subscription.phases[-1].plan_code == plan:
            return self._made_already(stored, plan, subscription)
        if basis_of(subscription) != basis:
            raise self._refused(
                stored,
                "your subscription has changed since this page was made; the page now shows what "
                "applies today",
                field="basis",
                code="subscription_changed",
            )
        request = PlanChange(plan=plan)
        preview = self.change_plan(tenant_id, customer_id, request, preview=True)
        if preview.due_now != int(quoted_text):
            raise self._refused(
                stored,
                "the price of the switch has changed since this page was made (it is prorated by the "
                "day); the page now shows today's price",
                field="quoted",
                code="price_changed",
            )
        try:
            result = self.change_plan(tenant_id, customer_id, request)
        except SubscriptionConflict:
            # Another press (or the merchant) got there first: done if it was this switch.
            subscription = self._subscription(tenant_id, customer_id)
            if subscription.phases[-1].plan_code == plan:
                return self._made_already(stored, plan, subscription)
            raise
        now = self.clock.now()
        switch_id = f"{plan}@{result.effective_date}"
        details = {
            "switch": switch_id,
            "plan": plan,
            "effective_date": result.effective_date,
            "immediate": result.immediate,
            "due_now": result.due_now,
            "invoice_number": result.invoice.number if result.invoice else None,
        }
        self.audit.append(tenant_id, stored.invoice_id, AuditEvent("plan_switched", "customer", now, details))
        refreshed = self._refresh(stored)
        self._confirm(refreshed, switch_id)
        return PlanSwitched(refreshed, plan, result.effective_date, True)

    def _subscription(self, tenant_id: str, customer_id: str) -> Subscription:
        record = self.records.get(tenant_id, customer_id)
        if record is None or record.subscription is None:
            raise SwitchRefused("there is no subscription to change", field="plan", code="no_subscription")
        return checked(record.subscription)

    def _made_already(self, stored: StoredInvoice, plan: str, subscription: Subscription) -> PlanSwitched:
        effective = subscription.phases[-1].start.isoformat()
        switch_id = f"{plan}@{effective}"
        if any(
            e.action == "plan_switched" and e.details.get("switch") == switch_id
            for e in self.audit.events(stored.tenant_id, stored.invoice_id)
        ):
            self._confirm(stored, switch_id)  # a send that failed before goes now; a sent one not again
        return PlanSwitched(stored, plan, effective, False)

    def _refused(self, stored: StoredInvoice, reason: str, *, field: str, code: str) -> SwitchRefused:
        """The page made for another subscription or price is shown again as it applies today."""
        self._refresh(stored, refused=True)
        return SwitchRefused(reason, field=field, code=code)

    def _refresh(self, stored: StoredInvoice, *, refused: bool = False) -> StoredInvoice:
        fresh = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        published = fresh.page_published_at
        if refused and published is not None and self.clock.now() - published < REFUSED_RENDER_GAP:
            # Refused posts re-render the page at most once a minute: a flood of forged forms costs
            # a lookup each, not a render each.
            return fresh
        self.pages.publish(fresh)
        return fresh

    def _confirm(self, stored: StoredInvoice, switch_id: str) -> None:
        events = self.audit.events(stored.tenant_id, stored.invoice_id)
        if any(e.action == "plan_switch_confirmed" and e.details.get("switch") == switch_id for e in events):
            return
        switched = next(
            e
            for e in reversed(events)
            if e.action == "plan_switched" and e.details.get("switch") == switch_id
        )
        tenant, account = self.pages.load(stored)
        if account.email:
            plan = tenant.catalog.plans[str(switched.details["plan"])]
            name = tenant.page_settings.branding.name
            page_url = f"{self.pages_base_url.rstrip('/')}/i/{stored.page_token}"
            subject, text, html = self.confirmation.switched(
                stored, name, plan.name, switched.details, page_url
            )
            self.mailer.send(to=account.email, subject=subject, text=text, html=html)
        self.audit.append(
            stored.tenant_id,
            stored.invoice_id,
            AuditEvent("plan_switch_confirmed", "system", self.clock.now(), {"switch": switch_id}),
        )
