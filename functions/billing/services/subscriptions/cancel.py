"""Cancel a subscription (`POST /v1/customers/{id}/subscription/cancel`, `billing subscription
cancel`): now, or at the end of the current period.

Now: today is the first day without service; the recurring fees already invoiced for the days from
today to the period's end come back as an "unused time" credit on the next invoice, which also bills
the usage up to today (billing.domain.pricing, the period invoice's third kind of line). At period end:
nothing is credited, the last period runs out. A downgrade scheduled for later is dropped. The answer
shows the next invoice's fees and credits as they stand (usage comes on top).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from billing.domain.catalog import Subscription
from billing.domain.invoice import Invoice
from billing.domain.periods import period_containing
from billing.domain.pricing import compute_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_coupon
from billing.services.ports import Clock, TenantAccount, TenantDirectory
from billing.services.subscriptions.documents import (
    SubscriptionConflict,
    invoice_view,
    load,
    phases_until,
    pricing_error,
    save_change,
    view,
)
from billing.services.subscriptions.fields import Cancellation, ChangeResult
from billing.services.subscriptions.ports import SubscriptionRecord, SubscriptionRecords


@dataclass(frozen=True)
class CancelSubscription:
    records: SubscriptionRecords
    tenants: TenantDirectory
    clock: Clock

    def __call__(
        self, tenant_id: str, customer_id: str, request: Cancellation, *, preview: bool = False
    ) -> ChangeResult:
        loaded = load(self.records, self.tenants, self.clock.now(), tenant_id, customer_id)
        record, subscription, tenant, today = loaded.record, loaded.subscription, loaded.tenant, loaded.today
        if subscription.end_date is not None:
            raise SubscriptionConflict(
                f"the subscription ends on {subscription.end_date.isoformat()} already", field="customer_id"
            )
        on_plan = subscription.plan_code_on(today)
        if on_plan is None:
            raise SubscriptionConflict(
                f"the subscription starts on {subscription.start_date.isoformat()}: cancel from that day",
                field="at",
            )
        if request.at == "now" and any(p.start == today for p in subscription.phases[1:]):
            # Today's plan change was invoiced from today (the old plan's days credited, the new
            # plan's charged); ending today as well would credit the old plan's days a second time.
            raise SubscriptionConflict(
                "the plan changed today: cancel now from tomorrow, or at period end", field="at"
            )
        plan = tenant.catalog.plan(subscription.phases[0].plan_code)
        period = period_containing(today, plan.interval, subscription.anchor, subscription.anchor_day)
        end = today if request.at == "now" else period.end
        if end <= subscription.start_date:
            raise SubscriptionConflict("the subscription started today: cancel at period end", field="at")
        cancelled = replace(
            subscription,
            phases=phases_until(subscription, end - timedelta(days=1)),
            end_date=end,
            cancelled_on=today,
            # A pause that would begin after the last day has nothing left to hold.
            pauses=tuple(p for p in subscription.pauses if p.start < end),
        )
        next_invoice = self._next_invoice(tenant, record, cancelled)
        result = ChangeResult(
            preview=preview,
            effective_date=end.isoformat(),
            immediate=request.at == "now",
            due_now=0,
            invoice=None,
            next_invoice=invoice_view(next_invoice) if next_invoice is not None else None,
            subscription=view(cancelled, today, record.next_period_start),
        )
        if preview:
            return result
        save_change(
            self.records,
            tenant_id,
            record,
            cancelled,
            change="cancelled",
            effective_date=end,
            previous_plan=on_plan,
            now=self.clock.now(),
        )
        return result

    @staticmethod
    def _next_invoice(
        tenant: TenantAccount, record: SubscriptionRecord, cancelled: Subscription
    ) -> Invoice | None:
        if record.next_period_start is None or record.account is None:
            return None
        try:
            invoice = compute_invoice(
                tenant=tenant.settings,
                catalog=tenant.catalog,
                customer=record.customer,
                subscription=cancelled,
                events=[],
                period_start=record.next_period_start,
                coupons=[parse_coupon(c) for c in record.account.coupons],
                balance=max(0, record.account.balance),
            )
        except ScenarioError as error:
            raise pricing_error(error, "at") from None
        return invoice if invoice.lines else None
