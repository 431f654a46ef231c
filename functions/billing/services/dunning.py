"""The daily dunning job and the operator's answer to a question: gentle reminders within the law.

`SendReminders(tenant_id, today)` walks the tenant's open invoices due on or before `today`, builds
each one's `InvoiceDunningState` from what is stored, asks `decide_next_action` and carries out at most
one action per invoice: record a pause or a resume once, request a mandate retry, or send a reminder.
Every action is first recorded in `state["dunning"]` with a version-checked write, and only the run
that recorded it acts: a retried or repeated run the same day sends nothing twice. See docs/dunning.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from billing.domain.dunning import (
    AuditEntry,
    CollectionCandidate,
    CustomerHistory,
    DoNothing,
    InvoiceDunningState,
    InvoiceStatus,
    MandateAttempt,
    MandateOutcome,
    Reason,
    ReferenceRates,
    ReminderPolicy,
    RetryMandateCharge,
    SendReminder,
    SentReminder,
    action_entry,
    collection_export,
    decide_next_action,
    parse_reminder_policy,
    reminders_paused_entry,
    reminders_resumed_entry,
)
from billing.domain.dunning_events import overdue_event, reminder_sent_event
from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.domain.page import Instalment
from billing.services.errors import PermanentError, failure_note
from billing.services.invoice_pages import InvoicePages
from billing.services.payment_control import autogiro_waiting
from billing.services.ports import (
    AuditEvent,
    AuditTrail,
    Clock,
    CustomerAccount,
    CustomerDirectory,
    InvoiceLedger,
    Mailer,
    StoredInvoice,
    TenantAccount,
    TenantDirectory,
)

if TYPE_CHECKING:
    from billing.services.outbox import DriveOutbox

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SAVE_ATTEMPTS = 10

# Used when a tenant has stored no policy (tenant.page["reminders"]): a friendly reminder 5 days after
# the due date without a fee, a clearer one 15 days later with the legal maximum fee (charged only
# where the contract has the customer's agreement), two mandate retries, and both kinds of relief.
DEFAULT_POLICY: Mapping[str, Any] = {
    "steps": [
        {"days_after_due": 5, "fee": False, "tone": "friendly"},
        {"days_after_due": 20, "fee": True, "tone": "clear"},
    ],
    "reminder_fee_ore": 6000,
    "mandate_retry_days": [3, 7],
    "charge_interest": True,
    "max_due_date_move_days": 14,
    "max_instalments": 3,
}

_STATUSES = {
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "credited": InvoiceStatus.CREDITED,
    "void": InvoiceStatus.CREDITED,
    "split": InvoiceStatus.SPLIT,
}


def policy_of(tenant: TenantAccount) -> ReminderPolicy:
    """The tenant's reminder policy from its page settings document, or the default."""
    raw = tenant.page.get("reminders")
    return parse_reminder_policy(raw if raw is not None else DEFAULT_POLICY)


def local_today(now: datetime) -> date:
    return now.astimezone(STOCKHOLM).date()


def dunning_of(stored: StoredInvoice) -> dict[str, Any]:
    return dict(stored.state.get("dunning") or {})


def page_relief_state(stored: StoredInvoice) -> dict[str, Any]:
    """`due_date_moved_to` and `instalments` for the page's InvoiceState, from state["dunning"]: the
    summary then asks for the date the customer chose, or for the next part of their plan."""
    dunning = dunning_of(stored)
    result: dict[str, Any] = {}
    moved = dunning.get("due_date_moved_to")
    if moved:
        result["due_date_moved_to"] = date.fromisoformat(str(moved))
    plan = (dunning.get("split") or {}).get("instalments") or []
    if plan and stored.status in ("split", "paid"):
        result["instalments"] = tuple(
            Instalment(
                number=int(part["number"]),
                amount=int(part["amount"]),
                due_date=date.fromisoformat(str(part["due_date"])),
                ocr=str(part["ocr"]),
                paid=bool(part.get("paid")),
                token=str(part["page_token"]) if part.get("page_token") else None,
            )
            for part in plan
        )
    return result


# --------------------------------------------------------------------------------------------------
# From what is stored to what the rules need


def _day(value: object) -> date:
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


# The Stripe collector (billing.services.payments) charges and retries on the tenant's own schedule;
# its last charge's status says whether the mandate is still in play. "ask_customer" and "fall_back"
# mean automatic payment stopped for this invoice: it is an ordinary invoice again, reminded as one.
_STRIPE_IN_PLAY = {"await_webhook": MandateOutcome.PENDING, "retry": MandateOutcome.PENDING}
_STRIPE_DONE = {"settled": MandateOutcome.SUCCEEDED}


def _stripe_attempts(stored: StoredInvoice) -> tuple[MandateAttempt, ...] | None:
    """The Stripe collector's view as attempts, or None when Stripe does not collect this invoice."""
    record = stored.state.get("stripe") or {}
    charge = record.get("charge") or {}
    status = charge.get("status")
    if status in _STRIPE_IN_PLAY or status in _STRIPE_DONE:
        on = _day(charge.get("at") or stored.invoice.due_date.isoformat())
        n = max(1, int(charge.get("attempt", 1)))
        last = _STRIPE_IN_PLAY.get(status) or _STRIPE_DONE[status]
        # Earlier attempts failed (the collector retried them); only the last one's outcome matters.
        return tuple(MandateAttempt(i, on, MandateOutcome.FAILED if i < n else last) for i in range(1, n + 1))
    if not charge and record.get("autopay") == "active":
        return ()  # the collector has not charged yet: pending
    return None


def mandate_attempts(stored: StoredInvoice) -> tuple[MandateAttempt, ...]:
    """Charge attempts on the customer's mandate, as the payment modules recorded them.

    - Stripe: `state["stripe"]` as the collector keeps it (see `_stripe_attempts`); it retries by itself.
    - Autogiro, and any module that records attempts the generic way: `state["autogiro"]` or
      `state["autopay"]` = {"active", "attempts": [{"attempt", "on", "outcome": pending|failed|succeeded}]},
      plus the retries this job requested that have no outcome yet (pending: requested, not answered).
    """
    stripe = _stripe_attempts(stored)
    if stripe is not None:
        return stripe
    raw: list[Mapping[str, Any]] = []
    for module in ("autopay", "autogiro"):
        record = stored.state.get(module) or {}
        raw += [a for a in record.get("attempts") or [] if isinstance(a, Mapping)]
    raw.sort(key=lambda a: int(a.get("attempt", 0)))
    attempts = [
        MandateAttempt(
            attempt=i + 1,
            on=_day(a.get("on") or a.get("at")),
            outcome=MandateOutcome(str(a.get("outcome") or a.get("status") or "pending")),
        )
        for i, a in enumerate(raw)
    ]
    for retry in dunning_of(stored).get("retries") or []:
        if int(retry["attempt"]) == len(attempts) + 1:
            requested = _day(retry["requested_on"])
            attempts.append(MandateAttempt(len(attempts) + 1, requested, MandateOutcome.PENDING))
    return tuple(attempts)


def pays_by_mandate(stored: StoredInvoice) -> bool:
    if (stored.state.get("payments") or {}).get("reversed_refs"):
        # A payment was taken back (a returned debit, a lost dispute): the customer pays by hand now,
        # and is reminded as on any open invoice; the mandate is not charged again for it.
        return False
    if _stripe_attempts(stored) is not None:
        return True
    if autogiro_waiting(stored):
        # A mandate given on the page, waiting for Bankgirot: the debit follows once it is approved,
        # so "we have not received your payment" would be wrong, and relief would charge it twice.
        return True
    return any(
        bool((stored.state.get(m) or {}).get("active") or (stored.state.get(m) or {}).get("attempts"))
        for m in ("autopay", "autogiro")
    )


def _status(stored: StoredInvoice) -> InvoiceStatus:
    disputes = ((stored.state.get("payments") or {}).get("disputes") or {}).values()
    if stored.status == "open" and any(d == "open" for d in disputes):
        return InvoiceStatus.DISPUTED
    try:
        return _STATUSES[stored.status]
    except KeyError:
        raise PermanentError(f"unknown invoice status {stored.status!r}", field="status") from None


def answered_on(stored: StoredInvoice) -> date | None:
    """The day the last question was answered, once every question is answered."""
    if not stored.questions or stored.question_open:
        return None
    answers = [q.get("answered_at") for q in stored.questions]
    if not all(answers):
        return None
    return max(local_today(datetime.fromisoformat(str(a))) for a in answers)


def question_open_since(stored: StoredInvoice) -> date | None:
    """The (Stockholm) day of the invoice's first question, which starts the longest pause."""
    if stored.question_first_at is not None:
        return local_today(stored.question_first_at)
    asked = [str(q["asked_at"]) for q in stored.questions if q.get("asked_at")]
    return min(local_today(datetime.fromisoformat(a)) for a in asked) if asked else None


def was_late(previous: StoredInvoice, today: date) -> bool:
    """An earlier invoice counts as late if it was reminded, paid after its due date, or is still overdue."""
    if dunning_of(previous).get("reminders"):
        return True
    due = previous.invoice.due_date
    if previous.paid_at is not None:
        return local_today(previous.paid_at) > due
    return previous.status == "open" and previous.amount_due > 0 and today > due


def customer_history(
    account: CustomerAccount, history: Sequence[StoredInvoice], today: date
) -> CustomerHistory:
    start = account.subscription.start_date
    months = max(0, (today.year - start.year) * 12 + today.month - start.month - (today.day < start.day))
    return CustomerHistory(
        tenure_months=months, previous_late_invoices=sum(1 for h in history if was_late(h, today))
    )


def fee_agreed(agreed_on: date | None, stored: StoredInvoice) -> bool:
    """Agreed when the debt arose: the contract term existed on the invoice's issue date."""
    return agreed_on is not None and agreed_on <= stored.invoice.issue_date


def dunning_state(
    stored: StoredInvoice, *, agreed_on: date | None, history: CustomerHistory
) -> InvoiceDunningState:
    dunning = dunning_of(stored)
    reminders = tuple(
        SentReminder(step=int(r["step"]), sent_on=_day(r["sent_on"]), fee_minor=int(r.get("fee_minor", 0)))
        for r in dunning.get("reminders") or []
        # An email SES reported undelivered is no reminder sent (billing.services.deliveries): no fee
        # and no next step rests on it.
        if not r.get("undelivered")
    )
    moved = dunning.get("due_date_moved_to")
    mandate = pays_by_mandate(stored)
    return InvoiceDunningState(
        invoice_id=stored.invoice_id,
        status=_status(stored),
        amount_due_minor=max(0, int(stored.amount_due)),
        currency=stored.invoice.currency,
        original_due_date=stored.invoice.due_date,
        fee_agreed=fee_agreed(agreed_on, stored),
        customer=history,
        due_date_moved_to=date.fromisoformat(moved) if moved else None,
        question_open=stored.question_open,
        question_answered_on=answered_on(stored),
        question_open_since=question_open_since(stored),
        reminders_sent=reminders,
        pays_by_mandate=mandate,
        mandate_attempts=mandate_attempts(stored) if mandate else (),
    )


def audit_event(entry: AuditEntry) -> AuditEvent:
    return AuditEvent(
        action=entry.action.value,
        actor=entry.actor.value,
        at=entry.at,
        details=dict(entry.details),
        actor_id=entry.actor_id,
    )


# --------------------------------------------------------------------------------------------------
# Ports


class DunningStore(Protocol):
    def open_invoices(self, tenant_id: str, due_through: date) -> Iterator[StoredInvoice]: ...

    def fee_agreed_on(self, tenant_id: str, customer_id: str) -> date | None: ...

    def save_dunning(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        *,
        events: Sequence[OutboxEvent] = (),
        **fields: Any,
    ) -> bool:
        """Store state["dunning"] only if unchanged since `stored` was read; False otherwise. `events`
        (the outbox: the invoice's next sequence numbers) are written in the same transaction."""
        ...

    def answer_question(
        self, tenant_id: str, invoice_id: str, question_id: str, answer: str, at: datetime
    ) -> StoredInvoice: ...

    def split(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        children: Sequence[dict[str, Any]],
        now: datetime,
        *,
        events: Sequence[OutboxEvent] = (),
    ) -> bool: ...

    def children(self, stored: StoredInvoice, ids: Sequence[str]) -> list[StoredInvoice]: ...

    def close_split(self, stored: StoredInvoice, dunning: dict[str, Any], paid_at: datetime) -> bool: ...


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


class DunningMail(Protocol):
    """Renders the reminder (the same words the page shows) and the short notices of this module."""

    def reminder(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        history: list[StoredInvoice],
        today: date,
        reminder: Mapping[str, Any],
    ) -> Email: ...

    def notice(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        kind: str,
        params: Mapping[str, Any],
    ) -> Email: ...


class MandateRetrier(Protocol):
    """Asks the payment module that owns the mandate (Stripe or Autogiro) to charge again."""

    def request_retry(self, stored: StoredInvoice, attempt: int, idempotency_key: str) -> None: ...


class RecordedRetries:
    """The retry is recorded in state["dunning"]["retries"] (with its idempotency key) for the
    payment module's collector to carry out; nothing more to do here."""

    def request_retry(self, stored: StoredInvoice, attempt: int, idempotency_key: str) -> None:
        return None


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


class SendReminders:
    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        customers: CustomerDirectory,
        invoices: InvoiceLedger,
        store: DunningStore,
        pages: InvoicePages,
        mail: DunningMail,
        mailer: Mailer,
        audit: AuditTrail,
        rates: ReferenceRates,
        clock: Clock,
        retrier: MandateRetrier | None = None,
        effects: DriveOutbox | None = None,
    ) -> None:
        self.tenants = tenants
        self.customers = customers
        self.invoices = invoices
        self.store = store
        self.pages = pages
        self.mail = mail
        self.mailer = mailer
        self.audit = audit
        self.rates = rates
        self.clock = clock
        self.retrier = retrier or RecordedRetries()
        # Drives the committed events' effects (the reminder's email, the page, the merchant's events)
        # right after the commit; without it, or when it fails, the outbox's stream and sweep do.
        self.effects = effects

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


def reply_address(tenant: TenantAccount) -> str | None:
    support = tenant.page.get("support_email") or tenant.settings.email
    return str(support) if support else None


# --------------------------------------------------------------------------------------------------
# The operator answers a customer's question


class AnswerQuestion:
    """Store the operator's answer, email it to the customer, re-render the page, audit it. Reminders
    resume by themselves (the daily job sees the question answered, after the grace days)."""

    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        store: DunningStore,
        pages: InvoicePages,
        mail: DunningMail,
        mailer: Mailer,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.invoices = invoices
        self.store = store
        self.pages = pages
        self.mail = mail
        self.mailer = mailer
        self.audit = audit
        self.clock = clock

    def __call__(
        self, tenant_id: str, invoice_id: str, question_id: str, text: str, operator: str
    ) -> StoredInvoice:
        text = (text or "").strip()
        if not text:
            raise PermanentError("write the answer", field="text")
        if not operator.strip():
            raise PermanentError("an answer is an operator's action and must name one", field="operator")
        now = self.clock.now()
        stored = self.store.answer_question(tenant_id, invoice_id, question_id, text, now)
        tenant, account = self.pages.load(stored)
        question = next(q for q in stored.questions if q.get("question_id") == question_id)
        email = self.mail.notice(
            stored, tenant, account, "answer", {"question": str(question.get("text", "")), "answer": text}
        )
        self.mailer.send(
            to=account.email,
            subject=email.subject,
            text=email.text,
            html=email.html,
            reply_to=reply_address(tenant),
        )
        self.audit.append(
            tenant_id,
            invoice_id,
            AuditEvent(
                "question_answered",
                "operator",
                now,
                {"question_id": question_id, "all_answered": not stored.question_open},
                actor_id=operator,
            ),
        )
        self.pages.publish(stored, tenant, account)
        return stored


# --------------------------------------------------------------------------------------------------
# The operator hands selected invoices to a collection partner (never the daily job)


class ExportForCollection:
    """The CSV for the invoices an operator selected, with one audit entry per invoice naming the
    operator. Refuses (naming the row) anything the rules do not allow: see `collection_export`."""

    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        customers: CustomerDirectory,
        invoices: InvoiceLedger,
        store: DunningStore,
        audit: AuditTrail,
        rates: ReferenceRates,
        clock: Clock,
    ) -> None:
        self.tenants = tenants
        self.customers = customers
        self.invoices = invoices
        self.store = store
        self.audit = audit
        self.rates = rates
        self.clock = clock

    def __call__(self, tenant_id: str, invoice_ids: Sequence[str], operator: str) -> str:
        tenant = self.tenants.get(tenant_id)
        policy = policy_of(tenant)
        exported_at = self.clock.now().astimezone(STOCKHOLM)
        candidates: list[CollectionCandidate] = []
        for invoice_id in invoice_ids:
            stored = self.invoices.get(tenant_id, invoice_id)
            if stored is None:
                raise PermanentError(f"no invoice {invoice_id}", field="invoice")
            account = self.customers.get(tenant_id, stored.invoice.customer_id)
            name = account.customer.name if account else stored.invoice.buyer.name
            state = dunning_state(
                stored,
                agreed_on=self.store.fee_agreed_on(tenant_id, stored.invoice.customer_id),
                history=CustomerHistory(0, 0),
            )
            candidates.append(
                CollectionCandidate(
                    state=state,
                    customer_id=stored.invoice.customer_id,
                    customer_name=name,
                    ocr_reference=stored.invoice.ocr or "",
                )
            )
        export = collection_export(candidates, policy, self.rates, operator, exported_at)
        for entry in export.audit_entries:
            self.audit.append(tenant_id, entry.invoice_id, audit_event(entry))
        return export.csv_text
