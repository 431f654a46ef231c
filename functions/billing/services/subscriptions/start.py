"""Start a customer's subscription (`POST /v1/customers/{id}/subscription`, `billing subscription
start`): the plan from a start day, the anchor, coupons. The first period is invoiced by the billing
run on the start day; `preview` shows that first invoice (fees only: no usage yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from billing.domain.catalog import Anchor, Catalog, Coupon, PlanPhase, Subscription
from billing.domain.invoice import Invoice
from billing.domain.merchant_events import subscription_changed_draft
from billing.domain.parties import Customer
from billing.domain.periods import period_containing
from billing.domain.pricing import compute_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_coupon
from billing.services.errors import PermanentError
from billing.services.ports import Clock, TenantAccount, TenantDirectory
from billing.services.subscriptions.documents import (
    SubscriptionConflict,
    checked,
    invoice_view,
    pricing_error,
    to_document,
    today_for,
    view,
)
from billing.services.subscriptions.fields import ChangeResult, SubscriptionStart
from billing.services.subscriptions.ports import SubscriptionRecords

MAX_FUTURE = timedelta(days=366)
MAX_BACK_BILLING = timedelta(days=3 * 366)


@dataclass(frozen=True)
class StartSubscription:
    records: SubscriptionRecords
    tenants: TenantDirectory
    clock: Clock

    def __call__(
        self, tenant_id: str, customer_id: str, request: SubscriptionStart, *, preview: bool = False
    ) -> ChangeResult:
        record = self.records.get(tenant_id, customer_id)
        if record is None:
            raise PermanentError(f"no customer {customer_id!r}", field="customer_id", code="not_found")
        if record.subscription is not None:
            raise SubscriptionConflict(
                f"customer {customer_id!r} has a subscription already", field="customer_id"
            )
        tenant = self.tenants.get(tenant_id)
        if request.plan not in tenant.catalog.plans:
            raise PermanentError(f"no plan {request.plan!r} in the catalog", field="plan")
        today = today_for(record.customer, self.clock.now())
        start = request.start_date or today
        if start > today + MAX_FUTURE:
            raise PermanentError("must be within a year from today", field="start_date")
        billing_from = request.billing_from or start
        plan = tenant.catalog.plans[request.plan]
        first_period = period_containing(
            start, plan.interval, Anchor(request.anchor), request.anchor_date or start
        )
        if billing_from < first_period.start:
            raise PermanentError("must not be before the period the start_date is in", field="billing_from")
        if not today - MAX_BACK_BILLING <= billing_from <= today + MAX_FUTURE:
            # A back-dated start bills every period since at the next run: a typo of a decade would
            # bill a decade, so the window is bounded.
            field = "billing_from" if request.billing_from else "start_date"
            raise PermanentError("billing may begin at most 3 years back and 1 year ahead", field=field)
        if request.anchor_date is not None and request.anchor != "anniversary":
            raise PermanentError("only an anniversary anchor has an anchor_date", field="anchor_date")
        coupons = [parse_coupon_named(c, i) for i, c in enumerate(request.coupons)]
        subscription = Subscription(
            id=f"sub_{customer_id}",
            customer_id=customer_id,
            anchor=Anchor(request.anchor),
            # A plan named by its first code starts on its version on sale that day
            # (docs/price-changes.md); a version named outright is taken as named.
            phases=(PlanPhase(_on_sale(tenant.catalog, request.plan, start), start),),
            anchor_date=request.anchor_date,
        )
        document = to_document(subscription)
        checked(document)
        first = self._first_invoice(tenant, record.customer, subscription, billing_from, coupons)
        result = ChangeResult(
            preview=preview,
            effective_date=start.isoformat(),
            immediate=False,
            due_now=0,
            invoice=None,
            next_invoice=invoice_view(first),
            subscription=view(subscription, today, billing_from),
        )
        if preview:
            return result
        event = subscription_changed_draft(
            subscription,
            change="started",
            effective_date=start,
            previous_plan=None,
            version=1,
            now=self.clock.now(),
        )
        if not self.records.start(tenant_id, customer_id, document, billing_from, request.coupons, event):
            raise SubscriptionConflict(
                f"customer {customer_id!r} has a subscription already", field="customer_id"
            )
        return result

    @staticmethod
    def _first_invoice(
        tenant: TenantAccount,
        customer: Customer,
        subscription: Subscription,
        start: date,
        coupons: list[Coupon],
    ) -> Invoice:
        try:
            return compute_invoice(
                tenant=tenant.settings,
                catalog=tenant.catalog,
                customer=customer,
                subscription=subscription,
                events=[],
                period_start=start,
                coupons=coupons,
            )
        except ScenarioError as error:
            raise pricing_error(error, "plan") from None


def parse_coupon_named(document: dict[str, Any], index: int) -> Coupon:
    try:
        return parse_coupon(document, f"coupons[{index}]")
    except ScenarioError as error:
        raise PermanentError(error.reason, field=error.field) from None


def _on_sale(catalog: Catalog, code: str, day: date) -> str:
    plan = catalog.plans[code]
    if plan.version_of is not None:
        return code
    current = catalog.current(code, day)
    return current.code if current is not None else code
