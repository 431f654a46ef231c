"""Tenants, customers and their usage as the billing run reads them (the directory ports)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.models import (
    CustomerModel,
    TenantModel,
)
from billing.adapters.dynamo.stores.base import DUE_BUCKETS, due_bucket, utc
from billing.adapters.dynamo.usage_events import events_between
from billing.adapters.dynamo.usage_keys import shards_of
from billing.domain.scenario import (
    parse_catalog,
    parse_coupon,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
)
from billing.domain.usage import UsageEvent
from billing.services.errors import PermanentError
from billing.services.ports import (
    CustomerAccount,
    TenantAccount,
)


class DynamoTenantDirectory:
    # Tenant settings and catalog change rarely; one read per warm container every few minutes is
    # enough. Bounded, so a plan version scheduled as a price change (at least a month ahead,
    # docs/price-changes.md) is known to every container long before a subscription names it.
    TTL_SECONDS = 300.0

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, TenantAccount]] = {}

    def get(self, tenant_id: str) -> TenantAccount:
        cached = self._cache.get(tenant_id)
        if cached is None or time.monotonic() - cached[0] >= self.TTL_SECONDS:
            try:
                item = TenantModel.get(tenant_id)
            except DoesNotExist as exc:
                raise PermanentError(f"unknown tenant {tenant_id!r}", field="tenant_id") from exc
            account = TenantAccount(
                settings=parse_tenant_settings(item.settings),
                catalog=parse_catalog(item.catalog),
                page=dict(item.page or {}),
            )
            cached = (time.monotonic(), account)
            self._cache[tenant_id] = cached
        return cached[1]

    @staticmethod
    def put(tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]) -> None:
        parse_tenant_settings(settings)  # refuse to store what the worker could not read
        parse_catalog(catalog)
        # Put anew (the demo's and the tests' tenants): nothing of it predates StripeRefsTable.
        TenantModel(tenant_id, settings=settings, catalog=catalog, page=page, stripe_ids_indexed=True).save()


def customer_account(item: CustomerModel) -> CustomerAccount | None:
    """The billing view of a customer item (None: created through the API, no subscription yet, so
    nothing to bill or show)."""
    if item.subscription is None or item.next_period_start is None:
        return None
    return CustomerAccount(
        tenant_id=item.tenant_id,
        customer=parse_customer(item.profile),
        subscription=parse_subscription(item.subscription),
        email=item.email,
        next_period_start=date.fromisoformat(item.next_period_start),
        invoices_issued=int(item.invoices_issued or 0),
        balance=int(item.balance or 0),
        coupons=tuple(item.coupons or ()),
        stripe=dict(item.stripe or {}),
        spend_alert=dict(item.spend_alert or {}),
        usage_shards=shards_of(item),
    )


class DynamoCustomerDirectory:
    def due(self, tenant_id: str, on: date) -> Iterator[str]:
        for shard in range(DUE_BUCKETS):
            # Paginated by PynamoDB; the index holds keys only, so pages are large and cheap.
            for item in CustomerModel.due_index.query(
                f"{tenant_id}#{shard:02d}", CustomerModel.next_invoice_date <= on.isoformat()
            ):
                yield item.customer_id

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        try:
            item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return None
        return customer_account(item)

    @staticmethod
    def put(
        tenant_id: str,
        profile: dict[str, Any],
        subscription: dict[str, Any],
        email: str,
        first_period_start: date,
        coupons: Sequence[dict[str, Any]] = (),
    ) -> None:
        customer = parse_customer(profile)
        parse_subscription(subscription)
        for i, coupon in enumerate(coupons):
            parse_coupon(coupon, f"coupons[{i}]")
        CustomerModel(
            tenant_id,
            customer.id,
            profile=profile,
            subscription=subscription,
            coupons=list(coupons),
            email=email,
            next_period_start=first_period_start.isoformat(),
            next_invoice_date=first_period_start.isoformat(),
            due_bucket=due_bucket(tenant_id, customer.id),
            usage_shards=1,  # a new customer's totals start on one key (usage_keys.shards_of)
        ).save()


class DynamoUsageStore:
    def events(self, tenant_id: str, customer_id: str, start: datetime, end: datetime) -> list[UsageEvent]:
        lo, hi = utc(start).isoformat(), utc(end).isoformat()
        return [
            parse_usage_event(event)
            for key, event in events_between(tenant_id, customer_id, lo, hi + "~")
            if key < hi
        ]
