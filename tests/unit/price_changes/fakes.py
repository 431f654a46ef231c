"""In-memory ports for the price-change use cases."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.price_changes.ports import Notice, ScheduledChange, Subscriber, TenantCatalog

TENANT: dict[str, Any] = {
    "tenant_id": "t1",
    "legal_name": "Molnbolaget i Sverige AB",
    "org_number": "556677-8899",
    "vat_number": "SE556677889901",
    "address": ["Storgatan 1", "111 22 Stockholm"],
    "invoice_series_prefix": "F",
}


def plan(code: str, fee: int, unit_price: str = "2", **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": code.title(),
        "interval": "monthly",
        "currency": "SEK",
        "charges": [
            {"code": "fee", "name": "Fee", "model": "flat", "amount": fee},
            {
                "code": "calls",
                "name": "Calls",
                "model": "per_unit",
                "metric": "calls",
                "unit_price": unit_price,
            },
        ],
        **extra,
    }


def customer(cid: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"id": cid, "name": f"Kund {cid}", "address": ["Gatan 1", "111 22 Stockholm"], **extra}


def subscription(cid: str = "c1", plan_code: str = "bas", start: str = "2026-01-01") -> dict[str, Any]:
    return {"id": f"s-{cid}", "customer_id": cid, "phases": [{"plan": plan_code, "start": start}]}


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class Tokens:
    def __init__(self) -> None:
        self.n = 0

    def page_token(self) -> str:
        self.n += 1
        return f"token{self.n:027d}"


@dataclass
class FakeStore:
    settings: dict[str, Any] = field(default_factory=lambda: dict(TENANT))
    plans: list[dict[str, Any]] = field(
        default_factory=lambda: [plan("bas", 9900), plan("plus", 19900, "0.5")]
    )
    revision: int = 0
    changes_: dict[tuple[str, str], ScheduledChange] = field(default_factory=dict)
    notices_: dict[tuple[str, str, str], Notice] = field(default_factory=dict)
    leases: set[tuple[str, str, str]] = field(default_factory=set)

    def tenant(self, tenant_id: str) -> TenantCatalog:
        return TenantCatalog(
            settings=parse_tenant_settings(self.settings),
            catalog=parse_catalog({"plans": copy.deepcopy(self.plans)}),
            plans=copy.deepcopy(self.plans),
            revision=self.revision,
            page={},
        )

    def schedule(self, change: ScheduledChange, plan: dict[str, Any], revision: int) -> bool:
        if revision != self.revision or (change.tenant_id, change.version) in self.changes_:
            return False
        parse_catalog({"plans": [*self.plans, plan]})
        self.plans.append(plan)
        self.revision += 1
        self.changes_[(change.tenant_id, change.version)] = change
        return True

    def changes(self, tenant_id: str) -> list[ScheduledChange]:
        return [c for (t, _), c in self.changes_.items() if t == tenant_id]

    def open_changes(self) -> list[ScheduledChange]:
        return [c for c in self.changes_.values() if c.state != "done"]

    def set_state(self, change: ScheduledChange, state: str) -> None:
        key = (change.tenant_id, change.version)
        self.changes_[key] = replace(self.changes_[key], state=state)

    def _key(self, n: Notice) -> tuple[str, str, str]:
        return (n.tenant_id, n.version, n.customer_id)

    def add_notice(self, notice: Notice) -> bool:
        if self._key(notice) in self.notices_:
            return False
        self.notices_[self._key(notice)] = notice
        return True

    def notices(self, tenant_id: str, version: str) -> list[Notice]:
        return [n for (t, v, _), n in self.notices_.items() if (t, v) == (tenant_id, version)]

    def notice_by_token(self, token: str) -> Notice | None:
        return next((n for n in self.notices_.values() if n.page_token == token), None)

    def claim_send(self, notice: Notice, now: datetime) -> bool:
        key = self._key(notice)
        if self.notices_[key].status == "sent" or key in self.leases:
            return False
        self.leases.add(key)
        return True

    def sent(self, notice: Notice, now: datetime) -> None:
        key = self._key(notice)
        self.leases.discard(key)
        self.notices_[key] = replace(self.notices_[key], status="sent", sent_at=now)

    def release(self, notice: Notice) -> None:
        self.leases.discard(self._key(notice))

    def choose(self, notice: Notice, choice: str, now: datetime) -> Notice | None:
        key = self._key(notice)
        if self.notices_[key].outcome is not None:
            return None
        self.notices_[key] = replace(self.notices_[key], choice=choice, chosen_at=now)
        return self.notices_[key]

    def carried_out(self, notice: Notice, outcome: str, now: datetime) -> bool:
        key = self._key(notice)
        if self.notices_[key].outcome is not None:
            return False
        self.notices_[key] = replace(self.notices_[key], outcome=outcome)
        return True


@dataclass
class FakeSubscribers:
    people: list[tuple[dict[str, Any], dict[str, Any]]]

    def of_tenant(self, tenant_id: str) -> Iterator[Subscriber]:
        for profile, sub in self.people:
            yield Subscriber(parse_customer(profile), f"{profile['id']}@example.se", parse_subscription(sub))


class NoHistory:
    def billed_periods(self, tenant: Any, customer: Any, subscription: Any, count: int) -> list[Any]:
        return []


@dataclass
class FakeSender:
    fail_next: int = 0
    published: list[tuple[str, str | None]] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)

    def publish(self, tenant: Any, change: Any, notice: Notice) -> None:
        self.published.append((notice.customer_id, notice.choice))

    def email(self, tenant: Any, change: Any, notice: Notice) -> None:
        if self.fail_next:
            self.fail_next -= 1
            from billing.services.errors import RetryableError

            raise RetryableError("SES throttled")
        self.emailed.append(notice.customer_id)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
