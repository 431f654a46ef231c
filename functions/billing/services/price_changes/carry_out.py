"""On the effective date, do what each customer chose, through the subscription use cases:
accept (or no choice) moves the subscription to the new version (ChangePlan: a dearer version takes
effect today and the rest of the period is invoiced prorated; a cheaper one from the period's end);
switch moves it to the suggested plan's version on sale (ChangePlan); leave ends it today
(CancelSubscription "now": the days already paid after today come back as credit), so the new price
is never charged. A customer whose notice went out too late for the notice period keeps their
version. Each notice is marked with what was done, once; a rerun skips the marked ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from billing.domain.price_change import noticed_in_time
from billing.services.errors import PermanentError
from billing.services.ports import Clock
from billing.services.price_changes.ports import Notice, PriceChangeStore, ScheduledChange
from billing.services.subscriptions.documents import SubscriptionConflict
from billing.services.subscriptions.fields import Cancellation, PlanChange

logger = logging.getLogger(__name__)


class PlanChanger(Protocol):
    def __call__(
        self, tenant_id: str, customer_id: str, request: PlanChange, *, preview: bool = False
    ) -> object: ...


class Canceller(Protocol):
    def __call__(
        self, tenant_id: str, customer_id: str, request: Cancellation, *, preview: bool = False
    ) -> object: ...


@dataclass(frozen=True)
class CarryOut:
    store: PriceChangeStore
    change_plan: PlanChanger
    cancel: Canceller
    clock: Clock

    def __call__(self, change: ScheduledChange) -> int:
        """Notices carried out by this call; the change is done when every notice is."""
        tenant = self.store.tenant(change.tenant_id)
        today = self.clock.now().astimezone(ZoneInfo(tenant.settings.timezone)).date()
        if today < change.effective_date or change.state != "noticed":
            return 0
        done = 0
        pending = 0
        for notice in self.store.notices(change.tenant_id, change.version):
            if notice.outcome is not None:
                continue
            if notice.status != "sent":
                pending += 1  # not told yet: sent on a later run, then kept on its version
                continue
            outcome = self._do(change, notice)
            if self.store.carried_out(notice, outcome, self.clock.now()):
                done += 1
        if not pending:
            self.store.set_state(change, "done")
        return done

    def _do(self, change: ScheduledChange, notice: Notice) -> str:
        tenant_id, customer_id = change.tenant_id, notice.customer_id
        try:
            if notice.choice == "leave":
                self.cancel(tenant_id, customer_id, Cancellation(at="now"))
                return "left"
            if notice.choice == "switch" and notice.suggestion:
                self.change_plan(tenant_id, customer_id, PlanChange(plan=notice.suggestion))
                return "switched"
            if notice.sent_at is None or not noticed_in_time(
                notice.sent_at.date(), change.effective_date, change.notice_months
            ):
                return "kept"  # told too late: the old price stands for this customer
            self.change_plan(tenant_id, customer_id, PlanChange(plan=change.version))
            return "moved"
        except SubscriptionConflict as error:
            # Ended or changed by other means meanwhile: nothing of the old price is left to move.
            logger.info("not carried out", extra={"customer_id": customer_id, "reason": error.reason})
            return "ended"
        except PermanentError as error:
            logger.warning("refused", extra={"customer_id": customer_id, "reason": error.reason})
            return "refused"
