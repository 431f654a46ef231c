"""Builds the price-change use cases once per container (docs/price-changes.md): the merchant API's
catalog routes and the `billing catalog` CLI, the customer's choice on the notice page
(CustomerChoicesFunction) and the daily run (PriceChangesFunction)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring import TableStore, bind_tables
from billing.wiring.core import invoice_ledger, mailer, usage_reader

if TYPE_CHECKING:
    from billing.adapters.dynamo.price_changes import DynamoPriceChanges
    from billing.adapters.price_change_notice import JinjaNoticeSender
    from billing.services.ports import Clock
    from billing.services.price_changes.carry_out import CarryOut
    from billing.services.price_changes.catalog import CatalogPlans
    from billing.services.price_changes.choose import ChooseOnNotice
    from billing.services.price_changes.notify import NotifyCustomers
    from billing.services.price_changes.schedule import ScheduleVersion


price_changes: TableStore[DynamoPriceChanges] = TableStore("dynamo.price_changes.DynamoPriceChanges")


@cache
def catalog_plans() -> CatalogPlans:
    from billing.services.billing_run import SystemClock
    from billing.services.price_changes.catalog import CatalogPlans

    return CatalogPlans(store=price_changes(), clock=SystemClock())


@cache
def schedule_version() -> ScheduleVersion:
    from billing.services.billing_run import SystemClock
    from billing.services.price_changes.schedule import ScheduleVersion

    return ScheduleVersion(store=price_changes(), clock=SystemClock())


@cache
def notice_sender() -> JinjaNoticeSender:
    from billing.adapters.aws import S3PagePublisher
    from billing.adapters.price_change_notice import JinjaNoticeSender
    from billing.services.billing_run import SystemClock

    s = settings()
    return JinjaNoticeSender(
        publisher=S3PagePublisher(s.pages_bucket),
        mailer=mailer(),
        pages_base_url=s.pages_base_url,
        api_base_url=s.api_base_url,
        clock=SystemClock(),
    )


@cache
def choose_on_notice() -> ChooseOnNotice:
    from billing.services.billing_run import SystemClock
    from billing.services.price_changes.choose import ChooseOnNotice

    return ChooseOnNotice(store=price_changes(), sender=notice_sender(), clock=SystemClock())


def notify_customers(clock: Clock) -> NotifyCustomers:
    from billing.adapters.dynamo.price_changes import DynamoSubscribers
    from billing.adapters.price_change_notice import JinjaNoticeSender
    from billing.services.billing_run import RandomTokens
    from billing.services.price_changes.history import LedgerHistory
    from billing.services.price_changes.notify import NotifyCustomers

    return NotifyCustomers(
        store=price_changes(),
        subscribers=DynamoSubscribers(),
        history=LedgerHistory(invoice_ledger(), usage_reader()),
        # The run's own moment, so a page it publishes says what is true on the run's day.
        sender=JinjaNoticeSender(**{**vars(notice_sender()), "clock": clock}),
        tokens=RandomTokens(),
        clock=clock,
    )


def carry_out(clock: Clock) -> CarryOut:
    """Built per run, with a fresh tenant directory: the use cases must see the catalog's versions as
    stored now, not as a warm container cached them before the change was scheduled."""
    from billing.adapters.dynamo.stores import DynamoTenantDirectory
    from billing.adapters.dynamo.subscriptions import DynamoSubscriptionRecords
    from billing.services.price_changes.carry_out import CarryOut
    from billing.services.subscriptions.cancel import CancelSubscription
    from billing.wiring.merchant import Subscriptions, plan_change

    bind_tables()
    parts = Subscriptions(records=DynamoSubscriptionRecords(), tenants=DynamoTenantDirectory(), clock=clock)
    return CarryOut(
        store=price_changes(), change_plan=plan_change(parts), cancel=CancelSubscription(**parts), clock=clock
    )
