"""The customer switches the invoice page's language (sv/en), and the choice is remembered.

Behind `POST /v1/pages/{token}/language` (field `language`). The choice is stored as the customer's
language, so this page is re-rendered in it now, and later invoices, emails and PDFs are issued in it;
the presenter renders every page of the customer in their current language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from billing.domain.page.context import LANGUAGES
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound, InvoicePages
from billing.services.ports import AuditEvent, AuditTrail, Clock, StoredInvoice, StoredInvoices


class CustomerLanguage(Protocol):
    def set_language(self, tenant_id: str, customer_id: str, language: str) -> bool: ...


@dataclass(kw_only=True, eq=False)
class SwitchLanguage:
    invoices: StoredInvoices
    pages: InvoicePages
    customers: CustomerLanguage
    audit: AuditTrail
    clock: Clock

    def __call__(self, token: str, language: str | None) -> StoredInvoice:
        language = (language or "").strip().lower()
        if language not in LANGUAGES:
            raise PermanentError(f"must be one of {', '.join(LANGUAGES)}", field="language")
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        if self.customers.set_language(stored.tenant_id, stored.invoice.customer_id, language):
            now = self.clock.now()
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent("language_chosen", "customer", now, {"language": language}),
            )
        tenant, account = self.pages.load(stored)
        self.pages.publish(stored, tenant, account)
        return stored
