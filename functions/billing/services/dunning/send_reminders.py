"""The daily dunning job (`SendReminders`): at most one action per open invoice past due, recorded before
it acts, its email and page driven by the outbox (docs/dunning.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from billing.domain.dunning import (
    DoNothing,
    InvoiceDunningState,
    Reason,
    ReferenceRates,
    ReminderPolicy,
    RetryMandateCharge,
    SendReminder,
    action_entry,
    decide_next_action,
    reminders_paused_entry,
    reminders_resumed_entry,
)
from billing.domain.dunning_events import overdue_event, reminder_sent_event
from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.services.dunning.letters import DunningLetters
from billing.services.dunning.ports import MandateRetrier, RecordedRetries
from billing.services.dunning.state import (
    SAVE_ATTEMPTS,
    audit_event,
    customer_history,
    dunning_of,
    dunning_state,
    policy_of,
)
from billing.services.errors import PermanentError, failure_note
from billing.services.ports import (
    AuditEvent,
    CustomerAccount,
    CustomerDirectory,
    StoredInvoice,
    TenantAccount,
    TenantDirectory,
)

if TYPE_CHECKING:
    from billing.services.outbox import DriveOutbox


# --------------------------------------------------------------------------------------------------
# The daily job


@dataclass
class DunningRunSummary:
    tenant_id: str
    today: date
    checked: int = 0
    reminders_sent: int = 0
    retries_requested: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


def message_record(decision: SendReminder, today: date) -> dict[str, Any]:
    message = decision.message
    return {
        "step": decision.step,
        "sent_on": today.isoformat(),
        "fee_minor": decision.fee_minor,
        "interest_minor": decision.interest_minor,
        "interest_through": decision.interest_through.isoformat(),
        "tone": decision.tone.value,
        "subject_key": message.subject_key,
        "body_keys": list(message.body_keys),
        "params": dict(message.params),
        "status": "sending",
    }


@dataclass(kw_only=True, eq=False)
class SendReminders(DunningLetters):
    tenants: TenantDirectory
    customers: CustomerDirectory
    rates: ReferenceRates
    retrier: MandateRetrier = field(default_factory=RecordedRetries)
    # Drives the committed events' effects (the reminder's email, the page, the merchant's events)
    # right after the commit; without it, or when it fails, the outbox's stream and sweep do.
    effects: DriveOutbox | None = None

    def __call__(self, tenant_id: str, today: date) -> DunningRunSummary:
        tenant = self.tenants.get(tenant_id)
        policy = policy_of(tenant)
        summary = DunningRunSummary(tenant_id, today)
        for stored in self.store.open_invoices(tenant_id, today):
            summary.checked += 1
            try:
                outcome = self.one(stored, tenant, policy, today)
            except Exception as exc:
                # One broken invoice (bad data, an item DynamoDB refuses, a failed email) must not stop
                # everyone else's reminders: recorded in the summary, which the handler logs and counts
                # (DunningFailures), and tried again at the next run.
                summary.failed.append(failure_note(stored.invoice_id, exc))
                continue
            summary.outcomes[outcome] += 1
            if outcome == "reminder_sent":
                summary.reminders_sent += 1
            elif outcome == "mandate_retry_requested":
                summary.retries_requested += 1
        return summary

    def one(self, stored: StoredInvoice, tenant: TenantAccount, policy: ReminderPolicy, today: date) -> str:
        if stored.status == "split":
            return self._follow_split(stored, tenant)
        parent_id = dunning_of(stored).get("instalment_of")
        if parent_id:
            parent = self.invoices.get(stored.tenant_id, str(parent_id))
            if parent is not None and parent.status == "paid":
                return self._settled_with_parent(stored, parent)
        account = self.customers.get(stored.tenant_id, stored.invoice.customer_id)
        if account is None:
            raise PermanentError("the invoice's customer is gone", field="customer_id")
        period_start = stored.invoice.period.start if stored.invoice.period else stored.invoice.issue_date
        history = self.invoices.history(stored.tenant_id, account.customer.id, period_start)
        agreed_on = self.store.fee_agreed_on(stored.tenant_id, account.customer.id)

        for _ in range(SAVE_ATTEMPTS):
            state = dunning_state(
                stored, agreed_on=agreed_on, history=customer_history(account, history, today)
            )
            decision = decide_next_action(state, policy, self.rates, today)
            result = self._act(stored, tenant, account, history, state, decision, policy, today)
            if result is not None:
                return result
            # Someone else recorded a step first: read again and decide on what they left.
            fresh = self.invoices.get(stored.tenant_id, stored.invoice_id)
            if fresh is None:
                return "gone"
            stored = fresh
        return "contended"

    def _act(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        history: list[StoredInvoice],
        state: InvoiceDunningState,
        decision: DoNothing | RetryMandateCharge | SendReminder,
        policy: ReminderPolicy,
        today: date,
    ) -> str | None:
        dunning = dunning_of(stored)
        now = self.clock.now()
        paused = bool(dunning.get("paused"))
        if isinstance(decision, DoNothing) and decision.reason is Reason.QUESTION_OPEN:
            if paused:
                return decision.reason.value
            if not self.store.save_dunning(stored, {**dunning, "paused": True}):
                return None
            entry = reminders_paused_entry(stored.invoice_id, decision.reason.value, now)
            self.audit.append(stored.tenant_id, stored.invoice_id, audit_event(entry))
            return "reminders_paused"
        if paused and (state.question_answered_on is not None or state.question_open):
            # The answer ends the pause (or the pause reached the policy's maximum with the question
            # still open): recorded once, with the day reminders may go out again.
            if not self.store.save_dunning(stored, {**dunning, "paused": False}):
                return None
            if state.question_answered_on is not None:
                resume_on = state.question_answered_on + timedelta(days=policy.resume_grace_days)
            else:
                resume_on = today
            entry = reminders_resumed_entry(stored.invoice_id, resume_on, now)
            self.audit.append(stored.tenant_id, stored.invoice_id, audit_event(entry))
            return None  # decide again on the stored state: today may already be a reminder day

        if isinstance(decision, DoNothing):
            return decision.reason.value
        if isinstance(decision, RetryMandateCharge):
            retries = [*(dunning.get("retries") or [])]
            retries.append(
                {
                    "attempt": decision.attempt,
                    "requested_on": today.isoformat(),
                    "idempotency_key": decision.idempotency_key,
                }
            )
            events = self._overdue(stored, dunning, today, now)
            retried = {**dunning, "retries": retries, **_overdue_mark(events, today)}
            if not self.store.save_dunning(stored, retried, events=events):
                return None
            self.retrier.request_retry(stored, decision.attempt, decision.idempotency_key)
            self.audit.append(stored.tenant_id, stored.invoice_id, audit_event(action_entry(decision, now)))
            self._drive(stored)
            return "mandate_retry_requested"
        return self._remind(stored, tenant, account, history, dunning, decision, today, now)

    def _remind(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        history: list[StoredInvoice],
        dunning: dict[str, Any],
        decision: SendReminder,
        today: date,
        now: datetime,
    ) -> str | None:
        if any(r.get("undelivered") for r in dunning.get("reminders") or []):
            # The address bounced for this invoice: another email would bounce too. The merchant sees
            # it in `billing report deliveries` and reaches the customer another way.
            return "email_undelivered"
        record = message_record(decision, today)
        entry = action_entry(decision, now)
        events = self._overdue(stored, dunning, today, now)
        events.append(
            reminder_sent_event(
                stored.tenant_id,
                stored.invoice,
                amount_due=int(stored.amount_due),
                seq=stored.event_seq + len(events) + 1,
                record=record,
                step={
                    "action": entry.action.value,
                    "actor": entry.actor.value,
                    "details": dict(entry.details),
                },
                now=now,
            )
        )
        claimed = {
            **dunning,
            "reminders": [*(dunning.get("reminders") or []), record],
            **_overdue_mark(events, today),
        }
        # The claim and its reminder.sent event are one transaction: only the run whose write wins has
        # an event, and the email, the page and the trail's step are that event's effects, each done
        # once by whichever driver gets there (this run's, the outbox's stream, or its sweep).
        if not self.store.save_dunning(stored, claimed, events=events):
            return None
        return "reminder_sent" if self._drive(stored) else "reminder_queued"

    def _overdue(
        self, stored: StoredInvoice, dunning: dict[str, Any], today: date, now: datetime
    ) -> list[OutboxEvent]:
        """invoice.overdue, with the first action the job takes on an invoice (it is past due then)."""
        if dunning.get("overdue_since"):
            return []
        return [
            overdue_event(
                stored.tenant_id,
                stored.invoice,
                amount_due=int(stored.amount_due),
                seq=stored.event_seq + 1,
                today=today,
                now=now,
            )
        ]

    def _drive(self, stored: StoredInvoice) -> bool:
        """Finish the invoice's committed events now; False when something failed, which the outbox's
        stream or sweep finishes (the change itself is committed: nothing to undo)."""
        if self.effects is None:
            return False
        try:
            self.effects.stream(stored.tenant_id, invoice_stream(stored.invoice_id))
        except Exception:
            return False
        return True

    def _settled_with_parent(self, stored: StoredInvoice, parent: StoredInvoice) -> str:
        """The whole invoice was paid after all (e.g. with its own Pay button): its open instalments
        owe nothing more and leave the open index, so nobody is reminded of them."""
        dunning = {**dunning_of(stored), "settled_with_parent": parent.invoice_id}
        if not self.store.save_dunning(stored, dunning, status="void", open=False):
            return "contended"
        now = self.clock.now()
        details = {"parent": parent.invoice_id}
        self.audit.append(
            stored.tenant_id, stored.invoice_id, AuditEvent("settled_with_parent", "system", now, details)
        )
        return "settled_with_parent"

    def follow_split(self, tenant_id: str, invoice_id: str) -> str:
        """Bring a split invoice's plan and page up to date now (an instalment was just paid), rather
        than at the next daily run: its page must not ask for a part that is paid."""
        stored = self.invoices.get(tenant_id, invoice_id)
        if stored is None or stored.status != "split":
            return "not_split"
        tenant, _ = self.pages.load(stored)
        return self._follow_split(stored, tenant)

    def _follow_split(self, stored: StoredInvoice, tenant: TenantAccount) -> str:
        """A split invoice is never reminded as a whole: keep its page's plan current and close it
        when every instalment is paid (each instalment is reminded on its own)."""
        dunning = dunning_of(stored)
        split = dict(dunning.get("split") or {})
        plan = [dict(i) for i in split.get("instalments") or []]
        children = {c.invoice_id: c for c in self.store.children(stored, [i["invoice_id"] for i in plan])}
        changed = False
        for item in plan:
            child = children.get(item["invoice_id"])
            paid = child is not None and child.status == "paid"
            if paid != bool(item.get("paid")):
                item["paid"] = paid
                changed = True
        if not changed:
            return Reason.SPLIT_INTO_INSTALMENTS.value
        updated = {**dunning, "split": {**split, "instalments": plan}}
        now = self.clock.now()
        if all(i.get("paid") for i in plan):
            if not self.store.close_split(stored, updated, now):
                return "contended"
            self.audit.append(
                stored.tenant_id,
                stored.invoice_id,
                AuditEvent("instalments_paid", "system", now, {"instalments": len(plan)}),
            )
            outcome = "instalments_paid"
        else:
            if not self.store.save_dunning(stored, updated):
                return "contended"
            outcome = "instalment_paid"
        fresh = self.invoices.get(stored.tenant_id, stored.invoice_id) or stored
        self.pages.publish(fresh)
        return outcome


def _overdue_mark(events: Sequence[OutboxEvent], today: date) -> dict[str, Any]:
    overdue = any(e.event_type == "invoice.overdue" for e in events)
    return {"overdue_since": today.isoformat()} if overdue else {}


def _with_dunning(stored: StoredInvoice, dunning: dict[str, Any]) -> StoredInvoice:
    return replace(stored, state={**stored.state, "dunning": dunning})
