"""Create or update a tenant from its checked file (`billing tenant create|update FILE.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.services.errors import PermanentError
from billing.services.tenants.document import check_tenant_document
from billing.services.tenants.ports import TenantDocument, TenantStore


@dataclass(frozen=True)
class OnboardTenant:
    store: TenantStore

    def create(self, data: Any) -> TenantDocument:
        document = check_tenant_document(data)
        if not self.store.create(document):
            raise PermanentError(
                f"tenant {document.tenant_id!r} exists: use `billing tenant update`", field="tenant_id"
            )
        return document

    def update(self, data: Any) -> TenantDocument:
        document = check_tenant_document(data)
        if not self.store.replace(document):
            raise PermanentError(
                f"no tenant {document.tenant_id!r}: use `billing tenant create`", field="tenant_id"
            )
        return document
