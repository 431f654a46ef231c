"""Start a customer's subscription (`POST /v1/customers/{id}/subscription`, `billing subscription
start`): the plan from a start day, the anchor, coupons. The first period is invoiced by the billing
run on the start day; `preview` shows that first invoice (fees only: no usage yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from billing.domain.catalog import Anchor, Coupon, PlanPhase, Subscription
from billing.domain.invoice import Invoice
from billing.domain.parties import Customer
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

# How far a start may lie from today: a back-dated start bills its past periods at the next run.
MAX_START_DISTANCE = timedelta(days=366)


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
        if abs(start - today) > MAX_START_DISTANCE:
            raise PermanentError("must be within a year of today", field="start_date")
        if request.anchor_date is not None and request.anchor != "anniversary":
            raise PermanentError("only an anniversary anchor has an anchor_date", field="anchor_date")
        coupons = [parse_coupon_named(c, i) for i, c in enumerate(request.coupons)]
        subscription = Subscription(
            id=f"sub_{customer_id}",
            customer_id=customer_id,
            anchor=Anchor(request.anchor),
            phases=(PlanPhase(request.plan, start),),
            anchor_date=request.anchor_date,
        )
        document = to_document(subscription)
        checked(document)
        first = self._first_invoice(tenant, record.customer, subscription, start, coupons)
        result = ChangeResult(
            preview=preview,
            effective_date=start.isoformat(),
            immediate=False,
            due_now=0,
            invoice=None,
            next_invoice=invoice_view(first),
            subscription=view(subscription, today, start),
        )
        if preview:
            return result
        if not self.records.start(tenant_id, customer_id, document, start, request.coupons):
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
