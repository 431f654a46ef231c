"""Builds the outbox's use cases once per container: the driver of committed events' effects, the
merchant's bus and webhooks, and the webhook delivery (billing.services.outbox)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings
from billing.wiring import TableStore

if TYPE_CHECKING:
    from billing.adapters.dynamo.outbox import DynamoMoneyAudit, DynamoOutbox
    from billing.adapters.merchant_events import DynamoWebhookEndpoints, EventBridgeAndWebhooks
    from billing.services.outbox import DriveOutbox
    from billing.services.outbox.webhooks import DeliverWebhook, ManageEndpoints


outbox_store: TableStore[DynamoOutbox] = TableStore("dynamo.outbox.DynamoOutbox")
money_audit: TableStore[DynamoMoneyAudit] = TableStore("dynamo.outbox.DynamoMoneyAudit")
webhook_endpoints: TableStore[DynamoWebhookEndpoints] = TableStore("merchant_events.DynamoWebhookEndpoints")


@cache
def merchant_events() -> EventBridgeAndWebhooks:
    from billing.adapters.merchant_events import EventBridgeAndWebhooks, SqsDeliveryQueue
    from billing.services.billing_run import SystemClock

    s = settings()
    return EventBridgeAndWebhooks(
        bus_name=s.event_bus_name,
        endpoints=webhook_endpoints(),
        queue=SqsDeliveryQueue(s.webhook_queue_url, s.webhook_dlq_url),
        clock=SystemClock(),
    )


@cache
def drive_outbox() -> DriveOutbox:
    from billing.services.billing_run import SystemClock
    from billing.services.outbox import DriveOutbox
    from billing.services.outbox.reminder_email import SendReminderEmail
    from billing.wiring import core as wiring

    reminders = SendReminderEmail(
        invoices=wiring.invoice_ledger(),
        store=wiring.dunning_store(),
        pages=wiring.invoice_pages(),
        mail=wiring.dunning_mail(),
        mailer=wiring.mailer(),
        clock=SystemClock(),
        deliveries=wiring.delivery_log(),
    )
    return DriveOutbox(
        **wiring.page_change(),
        outbox=outbox_store(),
        money_audit=money_audit(),
        receipts=wiring.payment_notices(),
        merchant=merchant_events(),
        # Looked up when needed: the reminder job is built only in the functions that settle a part.
        instalment_paid=lambda tenant_id, invoice_id: wiring.send_reminders().follow_split(
            tenant_id, invoice_id
        ),
        reminders=reminders,
        autopay=lambda event: wiring.follow_mandate()(event),
    )


@cache
def deliver_webhook() -> DeliverWebhook:
    from billing.adapters.merchant_events import SqsDeliveryQueue, UrllibWebhookSender
    from billing.services.billing_run import SystemClock
    from billing.services.outbox.webhooks import DeliverWebhook

    s = settings()
    return DeliverWebhook(
        endpoints=webhook_endpoints(),
        sender=UrllibWebhookSender(),
        queue=SqsDeliveryQueue(s.webhook_queue_url, s.webhook_dlq_url),
        clock=SystemClock(),
    )


@cache
def manage_endpoints() -> ManageEndpoints:
    from billing.services.outbox.webhooks import ManageEndpoints

    return ManageEndpoints(webhook_endpoints())
