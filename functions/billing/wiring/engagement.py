"""Builds the use cases of issue 18's customer-facing pieces once per container: spend alerts (watched
by ingestion, emailed from their queue, set from the page), the customer's usage download, the exit
and the pause, and bounce handling. Only what each handler needs is imported."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring import TableStore
from billing.wiring.core import (
    customer_action,
    customer_directory,
    invoice_ledger,
    mailer,
    tenant_directory,
    usage_reader,
)
from billing.wiring.pages import invoice_presenter

if TYPE_CHECKING:
    from billing.adapters.dynamo.engagement import DynamoEngagementCounts
    from billing.adapters.dynamo.spend_alerts import DynamoSpendAlerts
    from billing.services.deliveries.record_feedback import RecordEmailFeedback
    from billing.services.spend_alerts.choose import ChooseSpendAlert
    from billing.services.spend_alerts.send import SendSpendAlert
    from billing.services.spend_alerts.watch import WatchSpend
    from billing.services.subscriptions.customer_exit import CustomerExit
    from billing.services.subscriptions.customer_pause import CustomerPause


spend_alerts: TableStore[DynamoSpendAlerts] = TableStore("dynamo.spend_alerts.DynamoSpendAlerts")
engagement_counts: TableStore[DynamoEngagementCounts] = TableStore("dynamo.engagement.DynamoEngagementCounts")


@cache
def watch_spend() -> WatchSpend:
    from billing.adapters.aws import SqsSpendAlertQueue
    from billing.services.spend_alerts.watch import WatchSpend

    return WatchSpend(
        store=spend_alerts(),
        queue=SqsSpendAlertQueue(settings().spend_alert_queue_url),
        usage=usage_reader(),
    )


@cache
def send_spend_alert() -> SendSpendAlert:
    from billing.adapters.spend_alert_mail import SpendAlertEmails
    from billing.services.billing_run import SystemClock
    from billing.services.spend_alerts.send import SendSpendAlert

    return SendSpendAlert(
        customers=customer_directory(),
        tenants=tenant_directory(),
        usage=usage_reader(),
        invoices=invoice_ledger(),
        store=spend_alerts(),
        mailer=mailer(),
        mail=SpendAlertEmails(),
        clock=SystemClock(),
        pages_base_url=settings().pages_base_url,
        counts=engagement_counts(),
    )


@cache
def choose_spend_alert() -> ChooseSpendAlert:
    from billing.adapters.spend_alert_mail import SpendAlertEmails
    from billing.services.spend_alerts.choose import ChooseSpendAlert

    return ChooseSpendAlert(
        **customer_action(),
        store=spend_alerts(),
        mail=SpendAlertEmails(),
        counts=engagement_counts(),
    )


@cache
def record_email_feedback() -> RecordEmailFeedback:
    from billing.adapters.dynamo.engagement import DynamoInvoiceDeliveries
    from billing.services.deliveries.events import AuditTrailDeliveryEvents
    from billing.services.deliveries.record_feedback import RecordEmailFeedback
    from billing.wiring.core import audit_trail, delivery_log

    return RecordEmailFeedback(
        log=delivery_log(),
        invoices=DynamoInvoiceDeliveries(),
        counts=engagement_counts(),
        events=AuditTrailDeliveryEvents(audit_trail()),
    )


@cache
def customer_exit() -> CustomerExit:
    from billing.adapters.dynamo.engagement import DynamoExitConfirmations
    from billing.adapters.exit_page import ExitEmails, PresenterPlanAdvice
    from billing.services.subscriptions.customer_exit import CustomerExit
    from billing.wiring.merchant import cancel_subscription

    return CustomerExit(
        **customer_action(),
        cancel=cancel_subscription(),
        advice=PresenterPlanAdvice(invoice_presenter()),
        confirmations=DynamoExitConfirmations(),
        mail=ExitEmails(),
        api_base_url=settings().api_base_url,
        counts=engagement_counts(),
        usage=usage_reader(),
    )


@cache
def customer_pause() -> CustomerPause:
    from billing.adapters.dynamo.engagement import DynamoPauseConfirmations
    from billing.adapters.exit_page import PauseEmails
    from billing.services.subscriptions.customer_pause import CustomerPause
    from billing.services.subscriptions.pause import PauseSubscription
    from billing.wiring.merchant import subscriptions

    parts = customer_action()
    return CustomerPause(
        **parts,
        pause=PauseSubscription(**subscriptions(clock=parts["clock"])),
        confirmations=DynamoPauseConfirmations(),
        mail=PauseEmails(),
        counts=engagement_counts(),
    )
