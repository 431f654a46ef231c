"""Watching spend alerts as usage arrives: called by usage ingestion (billing.services.ingest_usage)
after a batch is recorded, for the customers the batch named.

What it costs ingestion: the alert document comes with the customer record ingestion reads anyway, so
a customer without an alert armed for this period costs nothing. For an armed one, the invoice so far
is computed (the engine's preview over the period's daily totals) once per batch, not per event; when
it reaches the threshold, one conditional write marks the period as fired (so a retried or concurrent
batch cannot fire it again) and the email is queued. An alert that fired but whose email is not
confirmed sent is queued again by the next batch, so a lost queue message cannot lose the email; the
sender's own claim keeps it to one email.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from billing.domain.pricing_errors import ScenarioError
from billing.domain.spend_alerts import SpendAlert, period_start_on, spent_so_far, tenant_default
from billing.services.errors import PermanentError
from billing.services.invoices.upcoming import invoice_so_far
from billing.services.ports import CustomerAccount, TenantAccount, UsageReader
from billing.services.spend_alerts.ports import SpendAlertQueue, SpendAlertStore


def current_period_start(tenant: TenantAccount, account: CustomerAccount, now: datetime) -> date:
    return period_start_on(
        tenant.catalog, account.subscription, now.astimezone(ZoneInfo(account.customer.timezone)).date()
    )


def fired_message(tenant_id: str, customer_id: str, period: date) -> dict[str, str]:
    return {
        "type": "SpendAlertFired",
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "period": period.isoformat(),
    }


@dataclass(frozen=True)
class WatchSpend:
    store: SpendAlertStore
    queue: SpendAlertQueue
    usage: UsageReader

    def __call__(self, tenant: TenantAccount, accounts: Iterable[CustomerAccount], now: datetime) -> int:
        """Check each customer's alert; returns how many fired now."""
        fired = 0
        default = tenant_default(tenant.page)
        for account in accounts:
            alert = SpendAlert.from_dict(account.spend_alert)
            pending = alert.mail_pending()
            if pending is not None:
                self.queue.send(fired_message(account.tenant_id, account.customer.id, pending))
                continue
            period = current_period_start(tenant, account, now)
            threshold = alert.armed(default, period)
            if threshold is None:
                continue
            try:
                so_far = invoice_so_far(tenant, account, self.usage, now)
            except (ScenarioError, PermanentError):
                continue  # a catalog the engine refuses fails the invoice, not the usage being recorded
            spent = spent_so_far(so_far, consumer=not account.customer.is_business)
            if spent < threshold:
                continue
            after = alert.fire(period, spent).to_dict()
            # Conditional on the document read with the customer: a concurrent batch that fired it
            # first (or a new choice by the customer) makes this write fail, and nothing is queued.
            if self.store.replace(account.tenant_id, account.customer.id, account.spend_alert, after):
                self.queue.send(fired_message(account.tenant_id, account.customer.id, period))
                fired += 1
        return fired
