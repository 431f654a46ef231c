"""Change a subscription's plan (`POST /v1/customers/{id}/subscription/change`, `billing subscription
change`, and the customer's own "switch" on the invoice page).

The engine decides (billing.domain.pricing.quote_plan_change): an upgrade (recurring fees at least the
current plan's) takes effect today and is billed now by a plan-change invoice, issued in the same
transaction that writes the new subscription (gapless number, page, email as a run's invoice); a
downgrade is scheduled for the current period's end and costs nothing now. A later decision replaces
a scheduled one. One immediate change per customer and day: the plan-change invoice's id is
deterministic per day, which is what makes a retried request find the invoice it already issued.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from billing.domain.catalog import PlanPhase, Subscription
from billing.domain.invoice import PLAN_CHANGE, invoice_id
from billing.domain.merchant_events import subscription_changed_draft
from billing.domain.numbering import customer_series
from billing.domain.pricing import quote_plan_change
from billing.domain.pricing_errors import ScenarioError
from billing.services.errors import PermanentError
from billing.services.ports import Clock, StoredInvoice, TenantAccount, TenantDirectory
from billing.services.subscriptions.documents import (
    SubscriptionConflict,
    checked,
    invoice_view,
    load,
    moved,
    phases_until,
    pricing_error,
    save_change,
    to_document,
    view,
)
from billing.services.subscriptions.fields import ChangeResult, PlanChange
from billing.services.subscriptions.ports import (
    InvoiceDelivery,
    PlanChangeIssue,
    SubscriptionRecord,
    SubscriptionRecords,
    Tokens,
)


@dataclass(frozen=True)
class ChangePlan:
    records: SubscriptionRecords
    tenants: TenantDirectory
    delivery: InvoiceDelivery
    tokens: Tokens
    clock: Clock

    def __call__(
        self, tenant_id: str, customer_id: str, request: PlanChange, *, preview: bool = False
    ) -> ChangeResult:
        now = self.clock.now()
        loaded = load(self.records, self.tenants, now, tenant_id, customer_id)
        record, subscription, tenant, today = loaded.record, loaded.subscription, loaded.tenant, loaded.today
        assert record.account is not None  # a record with a subscription has its billing view
        on_plan = subscription.plan_code_on(today)
        if on_plan is None:
            raise SubscriptionConflict("the subscription is not active today", field="customer_id")
        if request.plan not in tenant.catalog.plans:
            raise PermanentError(f"no plan {request.plan!r} in the catalog", field="plan")
        if request.plan == on_plan:
            return self._stay(tenant, tenant_id, record, subscription, request.plan, today, preview)
        try:
            quote = quote_plan_change(
                tenant=tenant.settings,
                catalog=tenant.catalog,
                customer=record.customer,
                subscription=subscription,
                new_plan_code=request.plan,
                requested_on=today,
            )
        except ScenarioError as error:
            raise pricing_error(error, "plan") from None
        kept = phases_until(
            subscription, today if quote.immediate else quote.effective_date - timedelta(days=1)
        )
        if quote.immediate and kept[-1].start == today:
            # The plan-change invoice's id is per day, and a phase starting today would make the
            # period invoice bill the new plan in full besides: one immediate change a day.
            raise SubscriptionConflict(
                "the plan was set today already; change it again tomorrow", field="plan"
            )
        if subscription.end_date is not None and quote.effective_date >= subscription.end_date:
            raise SubscriptionConflict(
                "the subscription ends before the change would take effect", field="plan"
            )
        phases = (*kept, PlanPhase(request.plan, quote.effective_date))
        changed = replace(subscription, phases=phases)
        invoice = (
            quote.invoice if quote.immediate and quote.invoice is not None and quote.invoice.lines else None
        )
        result = ChangeResult(
            preview=preview,
            effective_date=quote.effective_date.isoformat(),
            immediate=quote.immediate,
            due_now=invoice.amount_due if invoice else 0,
            invoice=invoice_view(invoice) if invoice else None,
            next_invoice=None,
            subscription=view(changed, today, record.next_period_start),
        )
        if preview:
            return result
        document = to_document(changed)
        event = subscription_changed_draft(
            changed,
            change="plan_changed" if invoice is not None else "plan_change_scheduled",
            effective_date=quote.effective_date,
            previous_plan=on_plan,
            version=record.version + 1,
            now=now,
            invoice_id=invoice.invoice_id if invoice is not None else None,
        )
        if invoice is None:
            if not self.records.replace(tenant_id, customer_id, document, record.version, event):
                raise moved(customer_id)
            return result
        issued = self.records.issue_with_change(
            PlanChangeIssue(
                invoice=invoice,
                account=record.account,
                page_token=self.tokens.page_token(),
                now=now,
                series=customer_series(tenant.settings, customer_id),
                ocr_length_digit=tenant.settings.ocr_length_digit,
                subscription=document,
                version=record.version,
                changed=event,
            )
        )
        if issued is None:
            raise moved(customer_id)
        # After the commit: page and email, each once. A crash here leaves the invoice issued and
        # undelivered; the same request again (same Idempotency-Key, or none) finds it and delivers.
        self.delivery.deliver(issued, tenant, replace(record.account, subscription=changed))
        return result.model_copy(update={"invoice": invoice_view(issued.invoice, issued)})

    def _stay(
        self,
        tenant: TenantAccount,
        tenant_id: str,
        record: SubscriptionRecord,
        subscription: Subscription,
        plan: str,
        today: date,
        preview: bool,
    ) -> ChangeResult:
        """A change to the plan the customer is on: the retry of today's upgrade (finish its delivery,
        answer as then), or "stay" (drop a scheduled change); anything else is a mistake."""
        assert record.account is not None
        done = self._done_today(tenant_id, record, plan, today)
        if done is not None and subscription.phases[-1] == PlanPhase(plan, today):
            stored, changed = done
            self.delivery.deliver(stored, tenant, replace(record.account, subscription=changed))
            return ChangeResult(
                preview=preview,
                effective_date=today.isoformat(),
                immediate=True,
                due_now=stored.invoice.amount_due,
                invoice=invoice_view(stored.invoice, stored),
                next_invoice=None,
                subscription=view(changed, today, record.next_period_start),
            )
        kept = phases_until(subscription, today)
        if kept == subscription.phases:
            raise PermanentError(f"the customer is on {plan!r} already", field="plan")
        staying = replace(subscription, phases=kept)
        if not preview:
            save_change(
                self.records,
                tenant_id,
                record,
                staying,
                change="plan_change_dropped",
                effective_date=today,
                previous_plan=plan,
                now=self.clock.now(),
            )
        return ChangeResult(
            preview=preview,
            effective_date=today.isoformat(),
            immediate=False,
            due_now=0,
            invoice=None,
            next_invoice=None,
            subscription=view(staying, today, record.next_period_start),
        )

    def _done_today(
        self, tenant_id: str, record: SubscriptionRecord, plan: str, today: date
    ) -> tuple[StoredInvoice, Subscription] | None:
        """Today's plan-change invoice to `plan`, if one was issued (the change then is done)."""
        stored = self.records.invoice(
            tenant_id, invoice_id(tenant_id, record.customer.id, today, PLAN_CHANGE)
        )
        if stored is None or stored.invoice.extra.get("new_plan") != plan or record.subscription is None:
            return None
        return stored, checked(record.subscription)
