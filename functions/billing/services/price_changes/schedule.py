"""Schedule a plan's new version (`POST /v1/plans/{code}/versions`, `billing catalog schedule`).

The version is checked whole before anything is stored: its charges by the catalog's own parser
(errors name the field as sent, `charges[0].amount`), its effective date against the notice the
tenant must give (billing.domain.price_change.notice_months: never below the sector's legal minimum)
and against the versions before it. It is written into the tenant's catalog with the change record in
one transaction, conditional on the catalog being unchanged since it was read. Notices go out from the
daily price-change run (notify.py), durably.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from billing.domain.price_change import PriceChangeRefused, new_version, notice_months
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_plan
from billing.services.errors import PermanentError
from billing.services.ports import Clock
from billing.services.price_changes.catalog import PlanNotFound
from billing.services.price_changes.fields import VersionSchedule, VersionView
from billing.services.price_changes.ports import PriceChangeStore, ScheduledChange


class VersionConflict(PermanentError):
    """The catalog changed while the version was being scheduled: read it and decide again."""


@dataclass(frozen=True)
class ScheduleVersion:
    store: PriceChangeStore
    clock: Clock

    def __call__(self, tenant_id: str, code: str, request: VersionSchedule) -> VersionView:
        tenant = self.store.tenant(tenant_id)
        first = next((p for p in tenant.plans if p.get("code") == code and not p.get("version_of")), None)
        if first is None:
            raise PlanNotFound(f"no plan {code!r} in the catalog", field="code", code="not_found")
        now = self.clock.now()
        today = now.astimezone(ZoneInfo(tenant.settings.timezone)).date()
        document: dict[str, Any] = {
            "code": code,
            "name": request.name or tenant.catalog.plans[code].name,
            "interval": first.get("interval", "monthly"),
            "currency": first.get("currency", tenant.catalog.plans[code].currency),
            "charges": request.charges,
        }
        if request.minimum_commitment is not None:
            document["minimum_commitment"] = request.minimum_commitment
        try:
            plan = parse_plan(document, "version", frozenset(tenant.catalog.vat_schedule.categories))
        except ScenarioError as error:
            raise PermanentError(error.reason, field=error.field.removeprefix("version.")) from None
        try:
            months = notice_months(tenant.settings, request.notice_months)
            version = new_version(tenant.catalog, code, plan, request.effective_date, today, months)
        except PriceChangeRefused as error:
            raise PermanentError(error.reason, field=error.field) from None
        assert version.effective_from is not None
        stored = {
            **document,
            "code": version.code,
            "version_of": code,
            "effective_from": version.effective_from.isoformat(),
        }
        change = ScheduledChange(
            tenant_id=tenant_id,
            plan=code,
            version=version.code,
            effective_date=version.effective_from,
            reason=request.reason,
            notice_months=months,
            created_at=now,
        )
        if not self.store.schedule(change, stored, tenant.revision):
            raise VersionConflict(
                "the catalog changed meanwhile; read the plan and schedule again", field="code"
            )
        return VersionView(
            code=version.code,
            version=int(version.code.rsplit("@v", 1)[1]),
            effective_from=version.effective_from.isoformat(),
            reason=change.reason,
            notice_months=months,
            state=change.state,
            plan=stored,
        )
