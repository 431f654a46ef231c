"""Erasing a customer (`billing customer erase`, docs/privacy.md): personal data with an end.

Invoices are bookkeeping records and stay for seven years after the calendar year they belong to
(Bokföringslagen 7 kap. 2 §); everything else about the customer goes. So:

- every invoice of the customer is **pseudonymised**: its customer id, the buyer's name, address and
  numbers are replaced by a random pseudonym; questions, feedback, page views and clicks are removed;
  its page (and PDF, all versions) is deleted and the link retired (a new random token);
- the identity the invoices carried (name, address, numbers) is kept **apart**, under the pseudonym,
  for the bookkeeping years only (an audit record with a TTL), so a tax audit can still tie an
  invoice to its buyer until then, and nobody after;
- the customer record (profile, email, subscription, saved payment method), the Autogiro mandate
  (personnummer, clearing, account) and the usage events are **deleted**;
- each invoice's audit trail says who erased the customer, when, and under which pseudonym.

A customer who still owes money is not erased (the claim is a reason to keep the data): settle or
credit the open invoices first.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from billing.services.customer_data.ports import ErasureStore, KeptIdentity, PageEraser
from billing.services.errors import PermanentError
from billing.services.invoice_pages import page_key
from billing.services.ports import AuditEvent, AuditTrail, Clock

BOOKKEEPING_YEARS = 7


@dataclass(frozen=True)
class ErasureReport:
    tenant_id: str
    customer_id: str
    pseudonym: str
    invoices_pseudonymised: tuple[str, ...]
    page_versions_deleted: int
    mandate_deleted: bool
    usage_events_deleted: int
    identity_kept_until: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "customer_id": self.customer_id,
            "pseudonym": self.pseudonym,
            "invoices_pseudonymised": list(self.invoices_pseudonymised),
            "page_versions_deleted": self.page_versions_deleted,
            "mandate_deleted": self.mandate_deleted,
            "usage_events_deleted": self.usage_events_deleted,
            "identity_kept_until": self.identity_kept_until.isoformat() if self.identity_kept_until else None,
        }


def bookkeeping_end(issue_dates: Sequence[date]) -> date:
    """Seven years after the end of the calendar year of the latest invoice."""
    return date(max(issue_dates).year + BOOKKEEPING_YEARS + 1, 1, 1)


def pseudonymous_buyer(pseudonym: str, country: str) -> dict[str, Any]:
    return {
        "name": f"Erased customer {pseudonym}",
        "address": [],
        "country": country,
        "org_number": None,
        "vat_number": None,
    }


@dataclass(kw_only=True, eq=False)
class EraseCustomer:
    store: ErasureStore
    pages: PageEraser
    audit: AuditTrail
    clock: Clock

    def __call__(self, tenant_id: str, customer_id: str, operator: str) -> ErasureReport:
        if not operator.strip():
            raise PermanentError("an erasure is an operator's action and must name one", field="operator")
        invoices = self.store.invoices(tenant_id, customer_id)
        if not invoices and not self.store.customer_exists(tenant_id, customer_id):
            raise PermanentError(f"no customer {customer_id}", field="customer")
        owing = sorted(s.invoice_id for s in invoices if s.status in ("open", "split") and s.amount_due > 0)
        if owing:
            raise PermanentError(
                f"still owes on {', '.join(owing)}: settle or credit them first", field="customer"
            )
        now = self.clock.now()
        pseudonym = f"erased-{secrets.token_hex(8)}"
        kept_until: date | None = None
        versions = 0
        if invoices:
            kept_until = bookkeeping_end([s.invoice.issue_date for s in invoices])
            latest = max(invoices, key=lambda s: s.invoice.issue_date)
            identity = {"customer_id": customer_id, "buyer": latest.invoice.buyer.to_dict()}
            until = datetime(kept_until.year, kept_until.month, kept_until.day, tzinfo=UTC)
            self.store.keep_identity(KeptIdentity(tenant_id, pseudonym, identity, until, operator, now))
        for stored in invoices:
            for key in (page_key(stored.page_token), page_key(stored.page_token) + ".pdf"):
                versions += self.pages.erase(key)
            buyer = pseudonymous_buyer(pseudonym, stored.invoice.buyer.country)
            self.store.pseudonymise_invoice(stored, pseudonym, buyer, secrets.token_urlsafe(24))
            self.audit.append(
                tenant_id,
                stored.invoice_id,
                AuditEvent("customer_erased", "operator", now, {"pseudonym": pseudonym}, actor_id=operator),
            )
        mandate = self.store.delete_mandate(tenant_id, customer_id)
        usage = self.store.delete_usage(tenant_id, customer_id)
        self.store.delete_customer(tenant_id, customer_id)
        return ErasureReport(
            tenant_id=tenant_id,
            customer_id=customer_id,
            pseudonym=pseudonym,
            invoices_pseudonymised=tuple(s.invoice_id for s in invoices),
            page_versions_deleted=versions,
            mandate_deleted=mandate,
            usage_events_deleted=usage,
            identity_kept_until=kept_until,
        )
