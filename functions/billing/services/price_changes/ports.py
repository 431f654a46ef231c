"""What the price-change use cases read and write (adapters/dynamo/price_changes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from billing.domain.catalog import Catalog, Subscription
from billing.domain.parties import Customer, TenantSettings
from billing.domain.price_change import BilledPeriod
from billing.services.ports import WithPageDocument


@dataclass(frozen=True)
class ScheduledChange:
    """A plan's new version and its notice; `state` moves "noticing" -> "noticed" -> "done"."""

    tenant_id: str
    plan: str  # the plan's first code ("bas")
    version: str  # the new version's code ("bas@v2")
    effective_date: date
    reason: str
    notice_months: int
    created_at: datetime
    state: str = "noticing"


@dataclass(frozen=True)
class Notice:
    """One customer's notice of one change: their backtest, their choice, what was done."""

    tenant_id: str
    version: str
    customer_id: str
    page_token: str
    email: str
    from_version: str
    currency: str
    periods: int
    current: int
    new: int
    incl_vat: bool
    suggestion: str | None  # the plan-fit's best other plan (its version on sale), if any
    status: str = "pending"  # pending -> sent
    sent_at: datetime | None = None
    choice: str | None = None  # accept | switch | leave; None: not chosen (accepts by default)
    chosen_at: datetime | None = None
    outcome: str | None = None  # what the effective date did: moved | switched | left | kept | ended
    name: str = ""  # the customer's name and language, for the page and the email
    language: str = "sv"
    country: str = "SE"

    @property
    def per_year(self) -> int:
        if self.periods == 0:
            return 0
        return round((self.new - self.current) * 12 / self.periods)


@dataclass(frozen=True)
class TenantCatalog(WithPageDocument):
    """The tenant's settings and catalog as stored now (not a warm container's cached copy), with the
    raw plan documents and the revision a write must still find."""

    settings: TenantSettings
    catalog: Catalog
    plans: list[dict[str, Any]]
    revision: int
    page: dict[str, Any]


@dataclass(frozen=True)
class Subscriber:
    customer: Customer
    email: str
    subscription: Subscription


class PriceChangeStore(Protocol):
    def tenant(self, tenant_id: str) -> TenantCatalog: ...

    def schedule(self, change: ScheduledChange, plan: dict[str, Any], revision: int) -> bool:
        """The version into the tenant's catalog and the change beside it, in one transaction; False
        when the catalog changed meanwhile (revision) or the change exists."""
        ...

    def changes(self, tenant_id: str) -> list[ScheduledChange]: ...

    def open_changes(self) -> list[ScheduledChange]:
        """Every tenant's changes not yet done, for the daily run."""
        ...

    def set_state(self, change: ScheduledChange, state: str) -> None: ...

    def add_notice(self, notice: Notice) -> bool:
        """False when this customer has a notice of this change already."""
        ...

    def notices(self, tenant_id: str, version: str) -> list[Notice]: ...

    def notice_by_token(self, token: str) -> Notice | None: ...

    def claim_send(self, notice: Notice, now: datetime) -> bool:
        """Take a pending notice for sending (a lease); False when sent or another sender has it."""
        ...

    def sent(self, notice: Notice, now: datetime) -> None: ...

    def release(self, notice: Notice) -> None:
        """A send that failed: pending again, for the next run."""
        ...

    def choose(self, notice: Notice, choice: str, now: datetime) -> Notice | None:
        """Record the choice unless the change was carried out; None then."""
        ...

    def carried_out(self, notice: Notice, outcome: str, now: datetime) -> bool:
        """Mark what was done; False when it was marked already."""
        ...


class Subscribers(Protocol):
    def of_tenant(self, tenant_id: str) -> Iterator[Subscriber]: ...


class History(Protocol):
    def billed_periods(
        self, tenant: TenantCatalog, customer: Customer, subscription: Subscription, count: int
    ) -> list[BilledPeriod]:
        """The customer's last `count` period invoices with the usage each billed."""
        ...


class NoticeSender(Protocol):
    def publish(self, tenant: TenantCatalog, change: ScheduledChange, notice: Notice) -> None:
        """Render the notice page (billing.domain.page) and publish it at the notice's token."""
        ...

    def email(self, tenant: TenantCatalog, change: ScheduledChange, notice: Notice) -> None:
        """Email the customer the notice and its page's link."""
        ...
