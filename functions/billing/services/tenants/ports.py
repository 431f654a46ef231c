"""What onboarding writes: a tenant's checked documents, and the store that keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TenantDocument:
    """A tenant file as checked whole (billing.services.tenants.document): its settings, catalog and
    page documents, stored as written."""

    tenant_id: str
    settings: dict[str, Any]
    catalog: dict[str, Any]
    page: dict[str, Any]


class TenantStore(Protocol):
    def create(self, document: TenantDocument) -> bool:
        """Store a new tenant; False when one with that id exists."""
        ...

    def replace(self, document: TenantDocument) -> bool:
        """Replace an existing tenant's documents; False when there is none."""
        ...
