"""Tell every affected customer about a scheduled change, each exactly once (the daily run).

First every customer still on an older version of the plan at the effective date gets a notice
record, with their backtest and the plan that would fit them best computed now (a record exists at
most once per customer and change: a conditional write). Then each notice not yet sent is taken
(a lease on the record), its page published and its email sent, and marked sent. A send that fails
is released and tried on the next run; a notice marked sent is never taken again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from billing.domain.price_change import BACKTEST_PERIODS, affected, backtest, best_fit
from billing.domain.pricing_errors import ScenarioError
from billing.services.errors import BillingError
from billing.services.ports import Clock, TokenSource
from billing.services.price_changes.ports import (
    History,
    Notice,
    NoticeSender,
    PriceChangeStore,
    ScheduledChange,
    Subscriber,
    Subscribers,
    TenantCatalog,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifyCustomers:
    store: PriceChangeStore
    subscribers: Subscribers
    history: History
    sender: NoticeSender
    tokens: TokenSource
    clock: Clock

    def __call__(self, change: ScheduledChange) -> tuple[int, int]:
        """(notices created, notices sent) by this call."""
        tenant = self.store.tenant(change.tenant_id)
        created = 0
        if change.state == "noticing":
            for subscriber in self.subscribers.of_tenant(change.tenant_id):
                notice = self._notice(tenant, change, subscriber)
                if notice is not None and self.store.add_notice(notice):
                    created += 1
            self.store.set_state(change, "noticed")
            change = replace(change, state="noticed")
        sent = 0
        for notice in self.store.notices(change.tenant_id, change.version):
            if notice.status != "sent" and self._send(tenant, change, notice):
                sent += 1
        return created, sent

    def _notice(self, tenant: TenantCatalog, change: ScheduledChange, who: Subscriber) -> Notice | None:
        code = affected(who.subscription, change.plan, change.version, change.effective_date)
        if code is None:
            return None
        history = self.history.billed_periods(tenant, who.customer, who.subscription, BACKTEST_PERIODS)
        try:
            result = backtest(
                tenant.settings, tenant.catalog, who.customer, who.subscription, change.version, history
            )
            fit = best_fit(
                tenant.catalog,
                who.customer,
                tenant.catalog.plans[change.version],
                history,
                change.effective_date,
            )
        except ScenarioError as error:
            # A history the engine cannot price again: the notice still goes out, without numbers.
            logger.warning("backtest failed", extra={"customer_id": who.customer.id, "field": error.field})
            result, fit = None, None
        return Notice(
            tenant_id=change.tenant_id,
            version=change.version,
            customer_id=who.customer.id,
            page_token=self.tokens.page_token(),
            email=who.email,
            from_version=code,
            currency=tenant.catalog.plans[code].currency,
            periods=result.periods if result else 0,
            current=result.current if result else 0,
            new=result.new if result else 0,
            incl_vat=not who.customer.is_business,
            suggestion=fit.code if fit else None,
            name=who.customer.name,
            language=who.customer.language,
            country=who.customer.country,
        )

    def _send(self, tenant: TenantCatalog, change: ScheduledChange, notice: Notice) -> bool:
        now = self.clock.now()
        if not self.store.claim_send(notice, now):
            return False
        try:
            self.sender.publish(tenant, change, notice)
            self.sender.email(tenant, change, notice)
        except BillingError as error:
            # Released for the next run: the notice is not lost because one send failed.
            logger.warning("notice not sent", extra={"customer_id": notice.customer_id, "error": str(error)})
            self.store.release(notice)
            return False
        self.store.sent(notice, now)
        return True
