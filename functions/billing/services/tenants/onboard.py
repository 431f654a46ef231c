"""Create or update a tenant from its checked file (`billing tenant create|update FILE.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from billing.services.errors import PermanentError
from billing.services.tenants.document import TenantDocument, check_tenant_document


class TenantStore(Protocol):
    def create(
        self, tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]
    ) -> bool:
        """Store a new tenant; False when one with that id exists."""
        ...

    def replace(
        self, tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]
    ) -> bool:
        """Replace an existing tenant's documents; False when there is none."""
        ...


@dataclass(frozen=True)
class OnboardTenant:
    store: TenantStore

    def create(self, data: Any) -> TenantDocument:
        document = check_tenant_document(data)
        if not self.store.create(document.tenant_id, document.settings, document.catalog, document.page):
            raise PermanentError(
                f"tenant {document.tenant_id!r} exists: use `billing tenant update`", field="tenant_id"
            )
        return document

    def update(self, data: Any) -> TenantDocument:
        document = check_tenant_document(data)
        if not self.store.replace(document.tenant_id, document.settings, document.catalog, document.page):
            raise PermanentError(
                f"no tenant {document.tenant_id!r}: use `billing tenant create`", field="tenant_id"
            )
        return document
