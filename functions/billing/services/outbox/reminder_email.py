"""A reminder step's email, sent as the `reminder` effect of its reminder.sent event (billing.services.
outbox.drive claims it first and marks it done after, so the customer gets one email per step however
often the dunning run or the driver fails or dies in between).

The step was claimed in state["dunning"]["reminders"] by the run that wrote the event; the email is
rendered from that record (the words, fee and interest decided that day) and the invoice as stored
now, and once sent the record says so, with the message id SES's bounces name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from billing.domain.outbox import OutboxEvent
from billing.services.deliveries.ports import DeliveryLog, SentEmail
from billing.services.dunning import DunningMail, DunningStore, dunning_of, reply_address
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import Clock, Mailer, PageInputs, StoredInvoice, StoredInvoices

SAVE_ATTEMPTS = 10


def _step(event: OutboxEvent) -> int:
    return int(event.payload["reminder_step"])


def _index(reminders: list[dict[str, Any]], invoice_id: str, step: int) -> int:
    """Where the step's record is (the last one: a step given back by an old run may be there twice)."""
    for index in range(len(reminders) - 1, -1, -1):
        if int(reminders[index].get("step", 0)) == step:
            return index
    raise PermanentError(f"invoice {invoice_id} has no reminder step {step}", field="reminder_step")


def _reminders(stored: StoredInvoice) -> list[dict[str, Any]]:
    return [dict(r) for r in dunning_of(stored).get("reminders") or []]


@dataclass(kw_only=True, eq=False)
class SendReminderEmail:
    invoices: StoredInvoices
    store: DunningStore
    pages: InvoicePages
    mail: DunningMail
    mailer: Mailer
    clock: Clock
    deliveries: DeliveryLog | None = None

    def send(self, event: OutboxEvent, stored: StoredInvoice) -> str | None:
        reminders = _reminders(stored)
        record = reminders[_index(reminders, stored.invoice_id, _step(event))]
        tenant, account = self.pages.load(stored)
        invoice = stored.invoice
        period_start = invoice.period.start if invoice.period else invoice.issue_date
        history = self.invoices.history(stored.tenant_id, account.customer.id, period_start)
        today = date.fromisoformat(str(record["sent_on"]))
        email = self.mail.reminder(PageInputs(stored, tenant, account, history, today), record)
        message_id = self.mailer.send(
            to=account.email,
            subject=email.subject,
            text=email.text,
            html=email.html,
            reply_to=reply_address(tenant),
        )
        return message_id or None

    def record_sent(self, event: OutboxEvent, message_id: str | None) -> None:
        step = _step(event)
        if self.deliveries is not None and message_id:
            email = SentEmail(message_id, event.tenant_id, str(event.payload["invoice_id"]), "reminder", step)
            self.deliveries.sent(email, self.clock.now())
        for _ in range(SAVE_ATTEMPTS):
            stored = self.invoices.get(event.tenant_id, str(event.payload["invoice_id"]))
            if stored is None:
                raise PermanentError("the reminded invoice is gone", field="invoice_id")
            reminders = _reminders(stored)
            index = _index(reminders, stored.invoice_id, step)
            if reminders[index].get("status") == "sent":
                return  # recorded by an earlier attempt
            reminders[index] = {
                **reminders[index],
                "status": "sent",
                **({"message_id": message_id} if message_id else {}),
            }
            if self.store.save_dunning(stored, {**dunning_of(stored), "reminders": reminders}):
                return
        raise RetryableError(f"recording reminder step {step} as sent kept conflicting", field="invoice_id")
