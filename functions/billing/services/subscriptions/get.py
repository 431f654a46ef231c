"""Read a customer's subscription (`GET /v1/customers/{id}/subscription`)."""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.ports import Clock
from billing.services.subscriptions.documents import current, today_for, view
from billing.services.subscriptions.fields import SubscriptionView
from billing.services.subscriptions.ports import SubscriptionRecords


@dataclass(frozen=True)
class GetSubscription:
    records: SubscriptionRecords
    clock: Clock

    def __call__(self, tenant_id: str, customer_id: str) -> SubscriptionView:
        record = self.records.get(tenant_id, customer_id)
        subscription = current(record, customer_id)
        assert record is not None  # current() refused a missing one
        return view(subscription, today_for(record.customer, self.clock.now()), record.next_period_start)
