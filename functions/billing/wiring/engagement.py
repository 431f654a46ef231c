"""Builds the use cases of issue 18's customer-facing pieces once per container: spend alerts (watched
by ingestion, emailed from their queue, set from the page), the customer's usage download, the exit
and the pause, and bounce handling. Only what each handler needs is imported."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring.core import (
    audit_trail,
    bind_tables,
    invoice_ledger,
    invoice_pages,
    mailer,
    tenant_directory,
)
from billing.wiring.pages import invoice_presenter

if TYPE_CHECKING:
    from billing.adapters.dynamo.engagement import DynamoEngagementCounts
    from billing.services.deliveries.record_feedback import RecordEmailFeedback
    from billing.services.spend_alerts.choose import ChooseSpendAlert
    from billing.services.spend_alerts.send import SendSpendAlert
    from billing.services.spend_alerts.watch import WatchSpend
    from billing.services.subscriptions.customer_exit import CustomerExit
    from billing.services.subscriptions.customer_pause import CustomerPause


@cache
def watch_spend() -> WatchSpend:
    from billing.adapters.aws import SqsSpendAlertQueue
    from billing.adapters.dynamo.spend_alerts import DynamoSpendAlerts
    from billing.adapters.dynamo.usage import DynamoUsageReader
    from billing.services.spend_alerts.watch import WatchSpend

    bind_tables()
    return WatchSpend(
        store=DynamoSpendAlerts(),
        queue=SqsSpendAlertQueue(settings().spend_alert_queue_url),
        usage=DynamoUsageReader(),
    )


@cache
def send_spend_alert() -> SendSpendAlert:
    from billing.adapters.dynamo.spend_alerts import DynamoSpendAlerts
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory
    from billing.adapters.dynamo.usage import DynamoUsageReader
    from billing.adapters.spend_alert_mail import SpendAlertEmails
    from billing.services.billing_run import SystemClock
    from billing.services.spend_alerts.send import SendSpendAlert

    bind_tables()
    return SendSpendAlert(
        customers=DynamoCustomerDirectory(),
        tenants=tenant_directory(),
        usage=DynamoUsageReader(),
        invoices=invoice_ledger(),
        store=DynamoSpendAlerts(),
        mailer=mailer(),
        mail=SpendAlertEmails(),
        clock=SystemClock(),
        pages_base_url=settings().pages_base_url,
        counts=engagement_counts(),
    )


@cache
def choose_spend_alert() -> ChooseSpendAlert:
    from billing.adapters.dynamo.spend_alerts import DynamoSpendAlerts
    from billing.adapters.spend_alert_mail import SpendAlertEmails
    from billing.services.billing_run import SystemClock
    from billing.services.spend_alerts.choose import ChooseSpendAlert

    bind_tables()
    return ChooseSpendAlert(
        invoices=invoice_ledger(),
        pages=invoice_pages(),
        store=DynamoSpendAlerts(),
        mailer=mailer(),
        mail=SpendAlertEmails(),
        audit=audit_trail(),
        clock=SystemClock(),
        pages_base_url=settings().pages_base_url,
        counts=engagement_counts(),
    )


@cache
def record_email_feedback() -> RecordEmailFeedback:
    from billing.adapters.dynamo.engagement import DynamoEngagementCounts, DynamoInvoiceDeliveries
    from billing.services.deliveries.events import AuditTrailDeliveryEvents
    from billing.services.deliveries.record_feedback import RecordEmailFeedback
    from billing.wiring.core import delivery_log

    bind_tables()
    return RecordEmailFeedback(
        log=delivery_log(),
        invoices=DynamoInvoiceDeliveries(),
        counts=DynamoEngagementCounts(),
        events=AuditTrailDeliveryEvents(audit_trail()),
    )


@cache
def engagement_counts() -> DynamoEngagementCounts:
    from billing.adapters.dynamo.engagement import DynamoEngagementCounts

    bind_tables()
    return DynamoEngagementCounts()


@cache
def customer_exit() -> CustomerExit:
    from billing.adapters.dynamo.engagement import DynamoExitConfirmations
    from billing.adapters.dynamo.usage import DynamoUsageReader
    from billing.adapters.exit_page import ExitEmails, PresenterPlanAdvice
    from billing.services.billing_run import SystemClock
    from billing.services.subscriptions.customer_exit import CustomerExit
    from billing.wiring.merchant import cancel_subscription

    bind_tables()
    s = settings()
    return CustomerExit(
        invoices=invoice_ledger(),
        pages=invoice_pages(),
        cancel=cancel_subscription(),
        advice=PresenterPlanAdvice(invoice_presenter()),
        confirmations=DynamoExitConfirmations(),
        mailer=mailer(),
        mail=ExitEmails(),
        audit=audit_trail(),
        clock=SystemClock(),
        pages_base_url=s.pages_base_url,
        api_base_url=s.api_base_url,
        counts=engagement_counts(),
        usage=DynamoUsageReader(),
    )


@cache
def customer_pause() -> CustomerPause:
    from billing.adapters.dynamo.engagement import DynamoPauseConfirmations
    from billing.adapters.exit_page import PauseEmails
    from billing.services.billing_run import SystemClock
    from billing.services.subscriptions.customer_pause import CustomerPause
    from billing.services.subscriptions.pause import PauseSubscription
    from billing.wiring.merchant import subscription_records, tenants

    bind_tables()
    clock = SystemClock()
    return CustomerPause(
        invoices=invoice_ledger(),
        pages=invoice_pages(),
        pause=PauseSubscription(records=subscription_records(), tenants=tenants(), clock=clock),
        confirmations=DynamoPauseConfirmations(),
        mailer=mailer(),
        mail=PauseEmails(),
        audit=audit_trail(),
        clock=clock,
        pages_base_url=settings().pages_base_url,
        counts=engagement_counts(),
    )
