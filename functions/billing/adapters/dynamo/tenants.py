"""Tenants written by the operator's onboarding (billing.services.tenants.ports.TenantStore):
conditional puts, so `create` never overwrites a tenant and `update` never creates one."""

from __future__ import annotations

import dataclasses
from typing import Any

from pynamodb.exceptions import PutError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import TenantModel
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_catalog
from billing.services.errors import PermanentError
from billing.services.tenants.ports import TenantDocument


class DynamoTenantStore:
    def create(self, document: TenantDocument) -> bool:
        return self._put(document, TenantModel.tenant_id.does_not_exist())

    def replace(self, document: TenantDocument) -> bool:
        catalog = document.catalog
        try:
            stored = TenantModel.get(document.tenant_id, consistent_read=True)
        except TenantModel.DoesNotExist:
            return False
        # Plan versions scheduled as price changes (docs/price-changes.md) stay, whatever the file
        # says: subscriptions name them. The file may restate them; it cannot drop one.
        codes = {p.get("code") for p in catalog.get("plans") or []}
        kept = [
            p
            for p in (stored.catalog or {}).get("plans", [])
            if p.get("version_of") and p["code"] not in codes
        ]
        catalog = {**catalog, "plans": [*(catalog.get("plans") or []), *kept]}
        try:
            parse_catalog(catalog)
        except ScenarioError as error:
            raise PermanentError(
                f"the stored plan versions need their plans: {error.reason}", field="catalog.plans"
            ) from None
        condition: Any = TenantModel.catalog_revision.does_not_exist()
        if stored.catalog_revision is not None:
            condition = TenantModel.catalog_revision == stored.catalog_revision
        revision = int(stored.catalog_revision or 0) + 1
        replaced = dataclasses.replace(document, catalog=catalog)
        return self._put(replaced, condition, revision, indexed=stored.stripe_ids_indexed)

    @staticmethod
    def _put(
        document: TenantDocument, condition: Any, revision: int | None = None, *, indexed: bool | None = True
    ) -> bool:
        """`indexed`: a new tenant has no Stripe id stored before StripeRefsTable; a replaced one keeps
        what it had."""
        try:
            item = TenantModel(
                document.tenant_id,
                settings=document.settings,
                catalog=document.catalog,
                page=document.page,
                catalog_revision=revision,
                stripe_ids_indexed=indexed,
            )
            item.save(condition=condition)
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
