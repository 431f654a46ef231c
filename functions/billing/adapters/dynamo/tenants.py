"""Tenants written by the operator's onboarding (billing.services.tenants.onboard.TenantStore):
conditional puts, so `create` never overwrites a tenant and `update` never creates one."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from billing.adapters.dynamo.models import TenantModel


class DynamoTenantStore:
    def create(
        self, tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]
    ) -> bool:
        return self._put(tenant_id, settings, catalog, page, TenantModel.tenant_id.does_not_exist())

    def replace(
        self, tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]
    ) -> bool:
        return self._put(tenant_id, settings, catalog, page, TenantModel.tenant_id.exists())

    @staticmethod
    def _put(
        tenant_id: str,
        settings: dict[str, Any],
        catalog: dict[str, Any],
        page: dict[str, Any],
        condition: Any,
    ) -> bool:
        try:
            TenantModel(tenant_id, settings=settings, catalog=catalog, page=page).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
