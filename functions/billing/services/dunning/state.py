"""An invoice's dunning state from what is stored: the tenant's reminder policy, the mandate's attempts,
questions, the customer's history, and `dunning_state` that the rules (billing.domain.dunning) read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from billing.domain.dunning import (
    AuditEntry,
    CustomerHistory,
    InvoiceDunningState,
    InvoiceStatus,
    MandateAttempt,
    MandateOutcome,
    ReminderPolicy,
    SentReminder,
)
from billing.domain.page import Instalment
from billing.domain.payments import stripe_record
from billing.services.dunning.policy_document import reminder_policy
from billing.services.errors import PermanentError
from billing.services.payment_control import autogiro_waiting
from billing.services.ports import (
    AuditEvent,
    CustomerAccount,
    StoredInvoice,
    TenantAccount,
)

if TYPE_CHECKING:
    pass

# The parts of InvoiceState where an automatic method records its attempts the generic way.
_ATTEMPT_MODULES: tuple[Literal["autopay", "autogiro"], ...] = ("autopay", "autogiro")


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
    return reminder_policy(raw if raw is not None else DEFAULT_POLICY)


def local_today(now: datetime) -> date:
    return now.astimezone(STOCKHOLM).date()


def dunning_of(stored: StoredInvoice) -> dict[str, Any]:
    return dict(stored.state.get("dunning") or {})


def instalments_of(stored: StoredInvoice) -> tuple[Instalment, ...]:
    """The parts of the customer's instalment plan, from state["dunning"]["split"] (none: not split)."""
    return tuple(
        Instalment(
            number=int(part["number"]),
            amount=int(part["amount"]),
            due_date=date.fromisoformat(str(part["due_date"])),
            ocr=str(part["ocr"]),
            paid=bool(part.get("paid")),
            token=str(part["page_token"]) if part.get("page_token") else None,
        )
        for part in (dunning_of(stored).get("split") or {}).get("instalments") or []
    )


def page_relief_state(stored: StoredInvoice) -> dict[str, Any]:
    """`due_date_moved_to` and `instalments` for the page's InvoiceState, from state["dunning"]: the
    summary then asks for the date the customer chose, or for the next part of their plan."""
    dunning = dunning_of(stored)
    result: dict[str, Any] = {}
    moved = dunning.get("due_date_moved_to")
    if moved:
        result["due_date_moved_to"] = date.fromisoformat(str(moved))
    plan = instalments_of(stored)
    if plan and stored.status in ("split", "paid"):
        result["instalments"] = plan
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
    record = stripe_record(stored.state)
    charge = record.charge
    if charge is not None and (charge.status in _STRIPE_IN_PLAY or charge.status in _STRIPE_DONE):
        on = charge.at.date() if charge.at else stored.invoice.due_date
        n = max(1, charge.attempt)
        last = _STRIPE_IN_PLAY.get(charge.status) or _STRIPE_DONE[charge.status]
        # Earlier attempts failed (the collector retried them); only the last one's outcome matters.
        return tuple(MandateAttempt(i, on, MandateOutcome.FAILED if i < n else last) for i in range(1, n + 1))
    if charge is None and record.autopay_active:
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
    for module in _ATTEMPT_MODULES:
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
        for m in _ATTEMPT_MODULES
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


def reply_address(tenant: TenantAccount) -> str | None:
    support = tenant.page_settings.support_email or tenant.settings.email
    return str(support) if support else None
