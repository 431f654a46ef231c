"""Pause a subscription (issue 18): hold its recurring fees for whole billing periods from the end of
the current one, where the merchant's page setting `pauses` allows it; it resumes by itself. The rules
(what may be paused, when, how long, how often) are billing.domain.pauses'; this verb records the
pause on the subscription, guarded by its version like every other subscription change, and the
billing run honours it from there (no recurring fee for a paused period; usage still billed).

Asking again for the pause already taken (a retry, a second press) changes nothing and answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.catalog import Pause
from billing.domain.pauses import PauseError, check_pause, current_pause, months_of, pause_policy, with_pause
from billing.services.errors import PermanentError
from billing.services.ports import Clock, TenantDirectory
from billing.services.subscriptions.documents import load, moved, save_change
from billing.services.subscriptions.ports import SubscriptionRecords


@dataclass(frozen=True)
class Paused:
    pause: Pause
    changed: bool  # False: this pause was recorded already (a repeated request)


@dataclass(frozen=True)
class PauseSubscription:
    records: SubscriptionRecords
    tenants: TenantDirectory
    clock: Clock

    def __call__(self, tenant_id: str, customer_id: str, months: int) -> Paused:
        loaded = load(self.records, self.tenants, self.clock.now(), tenant_id, customer_id)
        record, subscription, tenant, today = loaded.record, loaded.subscription, loaded.tenant, loaded.today
        running = current_pause(subscription, today)
        if running is not None and months_of(running) == months:
            return Paused(running, changed=False)
        interval = tenant.catalog.plan(subscription.phases[0].plan_code).interval
        try:
            pause = check_pause(subscription, interval, today, pause_policy(tenant.page), months)
        except PauseError as error:
            raise PermanentError(error.reason, field=error.field) from None
        paused = with_pause(subscription, pause)
        save_change(
            self.records,
            tenant_id,
            record,
            paused,
            change="paused",
            effective_date=pause.start,
            previous_plan=subscription.plan_code_on(today),
            now=self.clock.now(),
            conflict=moved(customer_id, field="months", then="ask again"),
        )
        return Paused(pause, changed=True)
