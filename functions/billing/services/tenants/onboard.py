"""Create or update a tenant from its checked file (`billing tenant create|update FILE.yaml`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing.services.errors import PermanentError
from billing.services.tenants.document import check_tenant_document
from billing.services.tenants.ports import TenantDocument, TenantStore


@dataclass(frozen=True)
class OnboardTenant:
    store: TenantStore

    def create(self, data: Any) -> TenantDocument:
        return _write(data, self.store.create, "tenant {!r} exists: use `billing tenant update`")

    def update(self, data: Any) -> TenantDocument:
        return _write(data, self.store.replace, "no tenant {!r}: use `billing tenant create`")


def _write(data: Any, write: Callable[[TenantDocument], bool], refusal: str) -> TenantDocument:
    """The file checked whole, then written by `write`; `refusal` when the store finds the tenant is
    not where the command expects it (create: absent; update: present)."""
    document = check_tenant_document(data)
    if not write(document):
        raise PermanentError(refusal.format(document.tenant_id), field="tenant_id")
    return document
