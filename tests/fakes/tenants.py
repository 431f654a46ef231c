"""A tenant as the use cases receive it (`TenantAccount`), with only the settings a test names: the
page document is read by the real model (`TenantAccount.page_settings`), so a test's tenant shows its
brand, colour and support address exactly as a stored tenant would."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from billing.domain.catalog import Catalog
from billing.services.ports import TenantAccount


def a_tenant_account(page: dict[str, Any] | None = None, catalog: Any = None, **settings: Any) -> Any:
    """`settings` are the TenantSettings fields the test reads (legal_name defaults to a company's)."""
    named = SimpleNamespace(**{"legal_name": "Nordljus Mobil AB", "email": None, **settings})
    return TenantAccount(settings=named, catalog=catalog or Catalog(plans={}), page=dict(page or {}))  # type: ignore[arg-type]
