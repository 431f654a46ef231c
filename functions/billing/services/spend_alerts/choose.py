"""The customer sets, changes or removes their spend alert from the invoice page, without logging in:
the page's link is the key (`POST /v1/pages/{token}/spend-alert`, field `amount` in kronor, or
`remove`). The choice is the customer's, for every later period too; a confirmation email says what
was set, and the page is re-rendered showing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.domain.spend_alerts import SpendAlert, SpendAlertError, parse_threshold
from billing.services.deliveries.ports import EngagementCounts
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    Mailer,
    StoredInvoice,
    StoredInvoices,
)
from billing.services.spend_alerts.ports import AlertReader, SpendAlertMail, SpendAlertStore

ATTEMPTS = 5


@dataclass(frozen=True)
class SpendAlertChosen:
    stored: StoredInvoice
    threshold: int | None  # None: removed
    changed: bool


@dataclass(frozen=True)
class ChooseSpendAlert:
    invoices: StoredInvoices
    pages: InvoicePages
    store: SpendAlertStore
    mailer: Mailer
    mail: SpendAlertMail
    audit: AuditTrail
    clock: Clock
    pages_base_url: str
    counts: EngagementCounts | None = None  # `billing report engagement`

    def __call__(self, token: str, form: dict[str, Any]) -> SpendAlertChosen:
        if form.get("remove"):
            threshold: int | None = None
        else:
            try:
                threshold = parse_threshold(form.get("amount"))
            except SpendAlertError as exc:
                raise PermanentError(exc.reason, field=exc.field) from None
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        now = self.clock.now()
        for _ in range(ATTEMPTS):
            tenant, account = self.pages.load(stored)
            before = account.spend_alert
            alert = SpendAlert.from_dict(before)
            if alert.chosen and alert.threshold == threshold:
                changed = False  # the same form posted twice: nothing to store, no second email
                break
            after = alert.choose(threshold, now).to_dict()
            if self.store.replace(stored.tenant_id, account.customer.id, before, after):
                changed = True
                break
        else:
            raise RetryableError("the spend alert kept changing; try again")
        if changed:
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent(
                    "spend_alert_set" if threshold else "spend_alert_removed",
                    "customer",
                    now,
                    {"threshold": threshold},
                ),
            )
            if self.counts is not None:
                name = "alerts_set" if threshold else "alerts_removed"
                self.counts.add(stored.tenant_id, f"{now:%Y-%m}", name)
            tenant, account = self.pages.load(stored)
            self.pages.publish(stored, tenant, account)
            subject, text, html = self.mail.confirmed(
                AlertReader.of(account, tenant),
                threshold=threshold,
                page_url=f"{self.pages_base_url}/i/{token}",
            )
            self.mailer.send(to=account.email, subject=subject, text=text, html=html)
        return SpendAlertChosen(stored, threshold, changed)
