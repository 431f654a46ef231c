"""The invoice so far (`GET /v1/customers/{id}/invoices/upcoming`): what the next period invoice would
be if the current period ended now (fees for the next period, this period's usage up to now, coupons,
credits), computed by the engine's preview; nothing is stored or numbered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from billing.domain.invoice import Invoice
from billing.domain.periods import local_midnight, period_containing
from billing.domain.pricing import preview_invoice
from billing.domain.scenario import parse_coupon
from billing.services.billed_usage import billed_usage
from billing.services.errors import PermanentError
from billing.services.invoices.views import InvoiceSummary, summary
from billing.services.ports import (
    Clock,
    CustomerAccount,
    CustomerDirectory,
    StoredInvoice,
    TenantAccount,
    TenantDirectory,
    UsageReader,
)


def invoice_so_far(
    tenant: TenantAccount, account: CustomerAccount, usage: UsageReader, now: datetime
) -> Invoice:
    """The engine's preview of the next period invoice as if the current period ended `now` (also what
    a spend alert compares with its threshold: billing.services.spend_alerts)."""
    subscription = account.subscription
    plan = tenant.catalog.plan(subscription.phases[0].plan_code)
    tz = ZoneInfo(account.customer.timezone)
    today = now.astimezone(tz).date()
    current = period_containing(today, plan.interval, subscription.anchor, subscription.anchor_day)
    events = billed_usage(
        usage,
        tenant.catalog,
        account.tenant_id,
        account.customer.id,
        account.customer.timezone,
        current.start,
        today + timedelta(days=1),
        raw_from=local_midnight(current.start, tz).replace(year=current.start.year - 1),
        shards=account.usage_shards,
    )
    return preview_invoice(
        tenant=tenant.settings,
        catalog=tenant.catalog,
        customer=account.customer,
        subscription=subscription,
        events=events,
        as_of=now,
        coupons=[parse_coupon(c, f"coupons[{i}]") for i, c in enumerate(account.coupons)],
        balance=max(0, account.balance),
    )


@dataclass(frozen=True)
class UpcomingInvoice:
    customers: CustomerDirectory
    tenants: TenantDirectory
    usage: UsageReader
    clock: Clock

    def __call__(self, tenant_id: str, customer_id: str) -> InvoiceSummary:
        account = self.customers.get(tenant_id, customer_id)
        if account is None:
            raise PermanentError(
                f"customer {customer_id!r} has no subscription (or does not exist)",
                field="customer_id",
                code="not_found",
            )
        invoice = invoice_so_far(self.tenants.get(tenant_id), account, self.usage, self.clock.now())
        return summary(
            StoredInvoice(invoice, page_token="", status="preview", amount_due=invoice.amount_due),
            "",
            whole=True,
        )
