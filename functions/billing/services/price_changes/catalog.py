"""The merchant's view of the catalog: every plan with its versions (`GET /v1/plans[/{code}]`,
`billing catalog list|show|uptake`)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from billing.domain.price_change import version_number
from billing.services.errors import PermanentError
from billing.services.ports import Clock
from billing.services.price_changes.fields import PlanList, PlanView, VersionView
from billing.services.price_changes.ports import PriceChangeStore, ScheduledChange, TenantCatalog
from billing.services.price_changes.uptake import uptake


class PlanNotFound(PermanentError):
    pass


@dataclass(frozen=True)
class CatalogPlans:
    store: PriceChangeStore
    clock: Clock

    def list(self, tenant_id: str) -> PlanList:
        tenant = self.store.tenant(tenant_id)
        changes = self.store.changes(tenant_id)
        bases = [p["code"] for p in tenant.plans if not p.get("version_of")]
        return PlanList(data=[self._view(tenant, changes, base, with_uptake=False) for base in bases])

    def show(self, tenant_id: str, code: str) -> PlanView:
        tenant = self.store.tenant(tenant_id)
        if not any(p["code"] == code and not p.get("version_of") for p in tenant.plans):
            raise PlanNotFound(f"no plan {code!r} in the catalog", field="code", code="not_found")
        return self._view(tenant, self.store.changes(tenant_id), code, with_uptake=True)

    def _view(
        self, tenant: TenantCatalog, changes: builtins.list[ScheduledChange], base: str, *, with_uptake: bool
    ) -> PlanView:
        today = self.clock.now().astimezone(ZoneInfo(tenant.settings.timezone)).date()
        by_code = {p["code"]: p for p in tenant.plans}
        by_version = {c.version: c for c in changes if c.plan == base}
        versions = []
        for plan in tenant.catalog.versions(base):
            change = by_version.get(plan.code)
            versions.append(
                VersionView(
                    code=plan.code,
                    version=version_number(plan.code),
                    effective_from=plan.effective_from.isoformat() if plan.effective_from else None,
                    reason=change.reason if change else None,
                    notice_months=change.notice_months if change else None,
                    state=change.state if change else None,
                    plan=by_code[plan.code],
                    uptake=uptake(self.store, change) if change and with_uptake else None,
                )
            )
        current = tenant.catalog.current(base, today)
        first = tenant.catalog.plans[base]
        return PlanView(
            code=base,
            name=(current or first).name,
            interval=first.interval.value,
            currency=first.currency,
            current_version=(current or first).code,
            versions=versions,
        )
