"""The pause taken from the exit page (issue 18): `POST /v1/pages/{token}/pause` with `months`, the page's
link the only key. One step: the pause is recorded through billing.services.subscriptions.pause (the
merchant's rules in billing.domain.pauses), the invoice page is published again, and an email confirms
when the fees stop and when the subscription resumes by itself.

The email is durable the way the exit's is: claimed per customer and pause start (EngagementTable)
before it is sent and given back if sending fails, so a repeated post (a retry after an error, a
second press) sends it if it has not gone out yet, never twice. The engagement report's `pauses` row
counts the pause once, when it is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing.domain.catalog import Pause
from billing.domain.pauses import months_of
from billing.services.deliveries.ports import EngagementCounts
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import AuditEvent, AuditTrail, Clock, Mailer, StoredInvoices
from billing.services.subscriptions.customer_exit import ExitConfirmations
from billing.services.subscriptions.pause import PauseSubscription
from billing.services.subscriptions.ports import PauseMail, PauseMailFacts


@dataclass(frozen=True)
class CustomerPause:
    invoices: StoredInvoices
    pages: InvoicePages
    pause: PauseSubscription
    confirmations: ExitConfirmations  # the same claim as the exit's, keyed by the pause's first day
    mailer: Mailer
    mail: PauseMail
    audit: AuditTrail
    clock: Clock
    pages_base_url: str
    counts: EngagementCounts | None = None

    def __call__(self, token: str, form: Mapping[str, str]) -> Pause:
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        raw = (form.get("months") or "").strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 2) or not 1 <= int(raw) <= 12:
            raise PermanentError("choose how many months to pause (1-12)", field="months")
        tenant_id = stored.tenant_id
        customer_id = stored.invoice.customer_id
        paused = self.pause(tenant_id, customer_id, int(raw))
        pause = paused.pause
        tenant, account = self.pages.load(stored)
        if paused.changed:
            now = self.clock.now()
            self.audit.append(
                tenant_id,
                stored.invoice_id,
                AuditEvent(
                    "paused_from_page",
                    "customer",
                    now,
                    {
                        "from": pause.start.isoformat(),
                        "resumes": pause.end.isoformat(),
                        "months": months_of(pause),
                    },
                ),
            )
            if self.counts is not None:
                self.counts.add(tenant_id, f"{now:%Y-%m}", "pauses")
            self.pages.publish(stored, tenant, account)
        if self.confirmations.claim(tenant_id, customer_id, pause.start):
            try:
                facts = PauseMailFacts(
                    language=account.customer.language,
                    country=account.customer.country or "SE",
                    brand=tenant.page_settings.branding.name,
                    customer_name=account.customer.name,
                    page_url=f"{self.pages_base_url}/i/{stored.page_token}",
                    pause=pause,
                )
                subject, text, html = self.mail.confirmed(facts)
                self.mailer.send(to=account.email, subject=subject, text=text, html=html)
            except Exception:
                self.confirmations.release(tenant_id, customer_id, pause.start)
                raise
        return pause
