"""Drive the effects of committed outbox events, each exactly once, in order per stream.

Triggered by whoever knows an event was committed: the settlement right after its commit (and again
on any redelivery of the provider's event, which finds nothing new to apply but may find effects a
failure left undone), the outbox table's stream (billing.handlers.drive_outbox), and a sweep of what
is still pending after a few minutes. Several drivers may meet on one event; each effect is safe
against that:

- the money audit entry and the step in the invoice's trail are put only if absent (their keys come
  from the event), so a second put changes nothing;
- the balance credit and its done-mark are one transaction, so the money moves once;
- the page is rendered from stored state to the same key: repeating it is harmless;
- the receipt and a reminder's email are claimed before they are sent and released if sending fails,
  so two drivers cannot both send one (a claim left by a driver that died is taken over after 15
  minutes);
- the open invoices following a card mandate are claimed the same way, since the change may email the
  customer; each invoice's mark is a conditional change that a repeat finds made, and its trail entry
  is keyed by the event;
- the merchant's events are delivered at least once, each with the event's id to de-duplicate on.

A failing effect raises: the effects after it, and the stream's later events, wait for the next drive,
so the merchant never hears of an event before what it says has been done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing.domain.audit_trail import money_entries
from billing.domain.outbox import (
    EFFECT_AUDIT,
    EFFECT_AUTOPAY,
    EFFECT_BALANCE,
    EFFECT_INSTALMENT,
    EFFECT_MERCHANT,
    EFFECT_PAGE,
    EFFECT_RECEIPT,
    EFFECT_REMINDER,
    OutboxEvent,
)
from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoicePages
from billing.services.outbox.ports import MerchantEvents, MoneyAudit, OutboxStore, ReminderEmails
from billing.services.ports import AuditEvent, AuditTrail, Clock, StoredInvoice, StoredInvoices

MARK_ATTEMPTS = 3


@dataclass(kw_only=True, eq=False)
class DriveOutbox:
    outbox: OutboxStore
    money_audit: MoneyAudit
    invoices: StoredInvoices
    pages: InvoicePages
    receipts: Any  # billing.services.settlement.ReceiptSender
    audit: AuditTrail
    merchant: MerchantEvents
    clock: Clock
    instalment_paid: Callable[[str, str], object] | None = None
    # Sends a reminder step's email (billing.services.outbox.reminder_email.SendReminderEmail).
    reminders: ReminderEmails | None = None
    # Has a customer's open invoices follow a card mandate that began or ended
    # (billing.services.payments.follow_mandate.FollowMandate).
    autopay: Callable[[OutboxEvent], None] | None = None

    def __post_init__(self) -> None:
        self._effects: dict[str, Callable[[OutboxEvent], None]] = {
            EFFECT_AUDIT: self._audit,
            EFFECT_PAGE: self._page,
            EFFECT_RECEIPT: self._receipt,
            EFFECT_REMINDER: self._reminder,
            EFFECT_INSTALMENT: self._instalment,
            EFFECT_AUTOPAY: self._autopay,
            EFFECT_MERCHANT: self._merchant,
        }

    def stream(self, tenant_id: str, stream: str) -> int:
        """Finish every pending event of the stream, in sequence. Returns how many were finished;
        raises (leaving the rest pending) at the first effect that fails."""
        finished = 0
        for event in self.outbox.pending(tenant_id, stream):
            self.event(event)
            finished += 1
        return finished

    def sweep(self, older_than: Any) -> int:
        """Finish the streams whose events have waited since before `older_than`; one failing stream
        does not hold up the others. Returns how many events were finished."""
        finished = 0
        failed: list[str] = []
        for tenant_id, stream in self.outbox.pending_streams(older_than):
            try:
                finished += self.stream(tenant_id, stream)
            except Exception as exc:  # the next sweep tries again; the others go on
                failed.append(f"{tenant_id}/{stream}: {type(exc).__name__}")
        if failed:
            raise RetryableError(f"{len(failed)} outbox streams could not be finished: {failed[:5]}")
        return finished

    def event(self, event: OutboxEvent) -> None:
        pending = event.pending
        for index, effect in enumerate(pending):
            last = index == len(pending) - 1
            if effect == EFFECT_BALANCE:
                # The credit and its done-mark are one transaction: the money moves once.
                customer_id = str(event.payload["customer_id"])
                self.outbox.credit_balance_once(event, customer_id, _to_balance(event), last=last)
                continue
            self._effects[effect](event)
            self._mark_done(event, effect, last=last)

    def _mark_done(self, event: OutboxEvent, effect: str, *, last: bool) -> None:
        # Tried again in place: the effect has happened (an email cannot be unsent), and a mark left
        # unwritten would have the next drive do it again. Only a process that dies right here leaves
        # an email's claim, which is taken over (and the email sent again) after 15 minutes.
        self._retried(lambda: self.outbox.mark_done(event, effect, last=last))

    @staticmethod
    def _retried(write: Callable[[], object]) -> None:
        for attempt in range(MARK_ATTEMPTS):
            try:
                write()
                return
            except Exception:
                if attempt == MARK_ATTEMPTS - 1:
                    raise

    # the effects (each done, then marked done by event()) -------------------------------------------

    def _audit(self, event: OutboxEvent) -> None:
        for entry in money_entries(event):
            self.money_audit.record(entry)
        step = event.payload.get("step")
        if isinstance(step, dict):
            self.audit.append(
                event.tenant_id,
                str(event.payload["invoice_id"]),
                AuditEvent(
                    str(step["action"]),
                    str(step.get("actor", "system")),
                    event.occurred_at,
                    dict(step.get("details") or {}),
                    key=event.event_id,
                ),
            )

    def _page(self, event: OutboxEvent) -> None:
        stored = self._stored(event)
        tenant, account = self.pages.load(stored)
        self.pages.publish(stored, tenant, account)

    def _receipt(self, event: OutboxEvent) -> None:
        def send(stored: StoredInvoice) -> None:
            tenant, account = self.pages.load(stored)
            self.receipts.send_receipt(stored, tenant, account, int(event.payload["settled"]))

        self._email_once(event, EFFECT_RECEIPT, send)

    def _reminder(self, event: OutboxEvent) -> None:
        reminders = self.reminders
        if reminders is None:
            raise RetryableError(f"this driver cannot send the reminder of {event.event_id}")
        sent: list[str | None] = []
        self._email_once(event, EFFECT_REMINDER, lambda stored: sent.append(reminders.send(event, stored)))
        # Sent: from here on nothing may release the claim. Which message it was (for SES's bounce)
        # is recorded with the same in-place retries as a done-mark.
        self._retried(lambda: reminders.record_sent(event, sent[0]))

    def _email_once(self, event: OutboxEvent, effect: str, send: Callable[[StoredInvoice], None]) -> None:
        """An email cannot be unsent: claimed before it is sent, released only if sending failed."""
        self._claimed(event, effect, lambda: send(self._stored(event)))

    def _claimed(self, event: OutboxEvent, effect: str, do: Callable[[], object]) -> None:
        if not self.outbox.claim(event, effect, self.clock.now()):
            raise RetryableError(f"the {effect} of {event.event_id} is being done by another attempt")
        try:
            do()
        except BaseException:
            self.outbox.release(event, effect)
            raise

    def _autopay(self, event: OutboxEvent) -> None:
        follow = self.autopay
        if follow is None:
            raise RetryableError(f"this driver cannot have the open invoices follow {event.event_id}")
        self._claimed(event, EFFECT_AUTOPAY, lambda: follow(event))

    def _instalment(self, event: OutboxEvent) -> None:
        parent = event.payload.get("instalment_of")
        if parent and self.instalment_paid is not None:
            self.instalment_paid(event.tenant_id, str(parent))

    def _merchant(self, event: OutboxEvent) -> None:
        self.merchant.publish(event)

    def _stored(self, event: OutboxEvent) -> StoredInvoice:
        invoice_id = str(event.payload["invoice_id"])
        stored = self.invoices.get(event.tenant_id, invoice_id)
        if stored is None:
            raise PermanentError(f"no invoice {invoice_id} for this tenant", field="invoice_id")
        return stored


def _to_balance(event: OutboxEvent) -> int:
    return int((event.payload.get("money") or {}).get("to_balance", 0))
