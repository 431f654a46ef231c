"""Ports of the spend alerts: where the alert document lives, the queue its email goes through, and the
emails' wording."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from billing.domain.invoice import Invoice
from billing.services.ports import CustomerAccount, TenantAccount


class SpendAlertStore(Protocol):
    def replace(
        self, tenant_id: str, customer_id: str, before: dict[str, Any], after: dict[str, Any]
    ) -> bool:
        """Write `after` as the customer's alert document if it is still `before` (an empty `before`:
        none stored yet); False when it changed meanwhile. One conditional write."""
        ...


class SpendAlertQueue(Protocol):
    def send(self, message: dict[str, Any]) -> None:
        """Queue `SpendAlertFired` {tenant_id, customer_id, period}: its email goes out from the queue."""
        ...


@dataclass(frozen=True)
class AlertReader:
    """Who a spend alert email is for: their language and country, their name, the sender, and whether
    amounts are shown with VAT (a consumer) or without (a business)."""

    language: str
    country: str
    name: str
    tenant_name: str
    incl_vat: bool

    @classmethod
    def of(cls, account: CustomerAccount, tenant: TenantAccount) -> AlertReader:
        customer = account.customer
        return cls(
            language=customer.language or "sv",
            country=customer.country or "SE",
            name=customer.name,
            tenant_name=tenant.settings.legal_name,
            incl_vat=not customer.is_business,
        )


class SpendAlertMail(Protocol):
    def crossed(
        self, reader: AlertReader, *, threshold: int, spent: int, so_far: Invoice, page_url: str | None
    ) -> tuple[str, str, str]:
        """(subject, text, html) of the alert: the threshold, and the invoice so far line by line."""
        ...

    def confirmed(self, reader: AlertReader, *, threshold: int | None, page_url: str) -> tuple[str, str, str]:
        """(subject, text, html) confirming the alert set, changed or removed (`threshold` None)."""
        ...
