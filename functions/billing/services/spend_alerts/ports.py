"""Ports of the spend alerts: where the alert document lives, the queue its email goes through, and the
emails' wording."""

from __future__ import annotations

from typing import Any, Protocol

from billing.domain.invoice import Invoice


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


class SpendAlertMail(Protocol):
    def crossed(
        self,
        *,
        language: str,
        country: str,
        name: str,
        tenant_name: str,
        threshold: int,
        spent: int,
        incl_vat: bool,
        so_far: Invoice,
        page_url: str | None,
    ) -> tuple[str, str, str]:
        """(subject, text, html) of the alert: the threshold, and the invoice so far line by line."""
        ...

    def confirmed(
        self,
        *,
        language: str,
        country: str,
        name: str,
        tenant_name: str,
        threshold: int | None,
        incl_vat: bool,
        page_url: str,
    ) -> tuple[str, str, str]:
        """(subject, text, html) confirming the alert set, changed or removed (`threshold` None)."""
        ...
