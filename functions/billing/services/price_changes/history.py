"""A customer's billed history for the backtest: the last period invoices from the ledger, each with
the usage it billed, read the way the billing run reads it (services/billed_usage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.catalog import Subscription
from billing.domain.invoice import PERIOD
from billing.domain.parties import Customer
from billing.domain.periods import period_containing, previous_period
from billing.domain.price_change import BilledPeriod
from billing.services.billed_usage import billed_usage
from billing.services.ports import StoredInvoices, UsageReader
from billing.services.price_changes.ports import TenantCatalog


@dataclass(frozen=True)
class LedgerHistory:
    ledger: StoredInvoices
    usage: UsageReader

    def billed_periods(
        self, tenant: TenantCatalog, customer: Customer, subscription: Subscription, count: int
    ) -> list[BilledPeriod]:
        tenant_id = tenant.settings.tenant_id
        stored = self.ledger.history(tenant_id, customer.id, date.max, limit=4 * count)
        periods = sorted(
            {s.invoice.period.start for s in stored if s.invoice.kind == PERIOD and s.invoice.period}
        )[-count:]
        plan = tenant.catalog.plan(subscription.phases[0].plan_code)
        result = []
        for start in periods:
            period = period_containing(start, plan.interval, subscription.anchor, subscription.anchor_day)
            used = previous_period(period, plan.interval, subscription.anchor, subscription.anchor_day)
            events = billed_usage(
                self.usage,
                tenant.catalog,
                tenant_id,
                customer.id,
                customer.timezone,
                used.start,
                used.end,
            )
            result.append(BilledPeriod(period.start, used, events))
        return result
