"""The spend alert's email, from the SpendAlertQueue: one message `SpendAlertFired` {tenant_id,
customer_id, period} names an alert that fired (billing.services.spend_alerts.watch).

The email is claimed before it is sent (the alert document's `mailed` set to the period, conditional
on the document as read), so a redelivered or duplicated message cannot send a second one; a send that
fails gives the claim back and raises, and the queue delivers again. It shows the invoice so far as the
engine computes it now (usage only grows within a period, so it is at least the threshold) and links
the customer's latest invoice page, where the alert is changed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from billing.domain.spend_alerts import SpendAlert, spent_so_far, tenant_default
from billing.services.deliveries.ports import EngagementCounts
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoices.upcoming import invoice_so_far
from billing.services.ports import (
    Clock,
    CustomerDirectory,
    Mailer,
    StoredInvoices,
    TenantDirectory,
    UsageReader,
)
from billing.services.spend_alerts.ports import AlertReader, SpendAlertMail, SpendAlertStore


@dataclass(frozen=True)
class SendSpendAlert:
    customers: CustomerDirectory
    tenants: TenantDirectory
    usage: UsageReader
    invoices: StoredInvoices
    store: SpendAlertStore
    mailer: Mailer
    mail: SpendAlertMail
    clock: Clock
    pages_base_url: str
    counts: EngagementCounts | None = None  # `billing report engagement`

    def __call__(self, message: dict[str, Any]) -> bool:
        """True when the email went out now; False when there is nothing to send (sent already, or
        the alert is no longer the one that fired)."""
        try:
            tenant_id, customer_id = str(message["tenant_id"]), str(message["customer_id"])
            period = date.fromisoformat(str(message["period"]))
        except (KeyError, ValueError) as exc:
            raise PermanentError(f"not a SpendAlertFired message: {exc}", field="message") from None
        account = self.customers.get(tenant_id, customer_id)
        if account is None:
            return False
        alert = SpendAlert.from_dict(account.spend_alert)
        if alert.fired != period or alert.mailed == period:
            return False
        claimed = replace(alert, mailed=period).to_dict()
        if not self.store.replace(tenant_id, customer_id, account.spend_alert, claimed):
            raise RetryableError("the spend alert changed while its email was claimed; try again")
        try:
            tenant = self.tenants.get(tenant_id)
            now = self.clock.now()
            so_far = invoice_so_far(tenant, account, self.usage, now)
            reader = AlertReader.of(account, tenant)
            threshold = alert.effective(tenant_default(tenant.page)) or alert.fired_amount or 0
            latest = self.invoices.history(tenant_id, customer_id, date.max, limit=1)
            page_url = f"{self.pages_base_url}/i/{latest[-1].page_token}" if latest else None
            subject, text, html = self.mail.crossed(
                reader,
                threshold=threshold,
                spent=max(spent_so_far(so_far, reader.incl_vat), alert.fired_amount or 0),
                so_far=so_far,
                page_url=page_url,
            )
            self.mailer.send(to=account.email, subject=subject, text=text, html=html)
        except Exception:
            # Give the claim back so the redelivered message sends it (the document is ours now).
            self.store.replace(tenant_id, customer_id, claimed, account.spend_alert)
            raise
        if self.counts is not None:
            self.counts.add(tenant_id, f"{period:%Y-%m}", "alerts_fired")
        return True
