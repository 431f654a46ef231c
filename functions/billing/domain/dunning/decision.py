"""The daily dunning decision for one invoice: do nothing (and why), retry a mandate charge, or remind.

The daily job calls `decide_next_action` once per overdue invoice with today's date (the Swedish
calendar day, Europe/Stockholm) and carries out at most one action; the next day's snapshot includes
it. The rules, in the order they are applied:

1. Paid, credited, disputed or split invoices, and invoices with nothing owed, get nothing. Ever.
2. An open question pauses everything, for at most `max_question_pause_days` from the invoice's first
   question; after the answer, reminders wait `resume_grace_days`.
3. An invoice paid by mandate is retried on the tenant's schedule first; reminders start only when
   every retry has failed (never while a charge is pending or after one succeeded).
4. Nothing before the day after the due date (the due date in force, possibly moved by the customer).
5. Reminder step k goes out `days_after_due` days after the due date, and never sooner after the
   previous reminder than the policy's gap between the two steps (so a pause does not end in a burst).
6. A fee only if the step has one, the contract says the customer agreed to it when the debt arose,
   the due date has passed and the invoice is in SEK; all reminder fees on one invoice together never
   exceed 60 kr. Invoices in other currencies never carry a reminder fee: the 60 kr rule is Swedish
   law for kronor and we have no agreed basis for a fee in another currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from billing.domain.dunning.errors import ReferenceRateMissing
from billing.domain.dunning.interest import late_payment_interest
from billing.domain.dunning.messages import ReliefOffer, ReminderMessage, build_reminder_message, choose_tone
from billing.domain.dunning.policy import LEGAL_MAX_REMINDER_FEE_ORE, ReminderPolicy, ReminderStep, Tone
from billing.domain.dunning.rates import ReferenceRates
from billing.domain.dunning.relief import can_move_due_date, can_split, latest_moved_due_date
from billing.domain.dunning.state import InvoiceDunningState, InvoiceStatus, MandateOutcome

FEE_CURRENCY = "SEK"


class Reason(StrEnum):
    PAID = "paid"
    CREDITED = "credited"
    DISPUTED = "disputed"
    SPLIT_INTO_INSTALMENTS = "split_into_instalments"
    NOTHING_OWED = "nothing_owed"
    QUESTION_OPEN = "question_open"
    RESUMING_AFTER_ANSWER = "resuming_after_answer"
    MANDATE_CHARGE_PENDING = "mandate_charge_pending"
    MANDATE_CHARGE_SUCCEEDED = "mandate_charge_succeeded"
    WAITING_FOR_MANDATE_RETRY = "waiting_for_mandate_retry"
    NOT_YET_DUE = "not_yet_due"
    WAITING_FOR_NEXT_STEP = "waiting_for_next_step"
    ALL_STEPS_DONE = "all_steps_done"


_CLOSED: dict[InvoiceStatus, Reason] = {
    InvoiceStatus.PAID: Reason.PAID,
    InvoiceStatus.CREDITED: Reason.CREDITED,
    InvoiceStatus.DISPUTED: Reason.DISPUTED,
    InvoiceStatus.SPLIT: Reason.SPLIT_INTO_INSTALMENTS,
}


@dataclass(frozen=True)
class DoNothing:
    """Nothing to do today. `next_check_on`: the first day the answer could change by the calendar
    alone; None when only an event (a payment, an answer, a charge outcome) can change it."""

    reason: Reason
    next_check_on: date | None = None


@dataclass(frozen=True)
class RetryMandateCharge:
    """Charge the mandate again; `attempt` counts the original charge as 1."""

    invoice_id: str
    attempt: int

    @property
    def idempotency_key(self) -> str:
        return f"{self.invoice_id}:charge:{self.attempt}"


@dataclass(frozen=True)
class SendReminder:
    """Send reminder `step` (1-based). Amounts in minor units of `currency`.

    `interest_minor` is the late-payment interest up to and including `interest_through`; None when
    no reference rate is on file for part of that time (`interest_unavailable` says which half-year).
    The reminder then claims no interest and the operator must update the reference-rate file.
    """

    invoice_id: str
    step: int
    currency: str
    fee_minor: int
    interest_minor: int | None
    interest_through: date
    tone: Tone
    message: ReminderMessage
    interest_unavailable: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.invoice_id}:reminder:{self.step}"


Decision = DoNothing | RetryMandateCharge | SendReminder


def decide_next_action(
    state: InvoiceDunningState, policy: ReminderPolicy, rates: ReferenceRates, today: date
) -> Decision:
    """What to do about this invoice today (see the module docstring for the rules and their order)."""
    closed = _CLOSED.get(state.status)
    if closed is not None:
        return DoNothing(closed)
    if state.amount_due_minor == 0:
        return DoNothing(Reason.NOTHING_OWED)
    if question_pauses(state, policy, today):
        return DoNothing(Reason.QUESTION_OPEN, _pause_ends(state, policy))

    if state.pays_by_mandate:
        mandate = _mandate_decision(state, policy, today)
        if mandate is not None:
            return mandate

    if today <= state.due_date:
        return DoNothing(Reason.NOT_YET_DUE, state.due_date + timedelta(days=1))

    number = len(state.reminders_sent) + 1
    if number > len(policy.steps):
        return DoNothing(Reason.ALL_STEPS_DONE)
    step = policy.steps[number - 1]
    send_on = _step_date(state, policy, number)
    resume_on = _resume_date(state, policy)
    if resume_on is not None and resume_on > send_on:
        if today < resume_on:
            return DoNothing(Reason.RESUMING_AFTER_ANSWER, resume_on)
    elif today < send_on:
        return DoNothing(Reason.WAITING_FOR_NEXT_STEP, send_on)
    return _reminder(state, policy, rates, today, number, step)


def question_pauses(state: InvoiceDunningState, policy: ReminderPolicy, today: date) -> bool:
    """An open question pauses reminders, but never past the policy's longest pause: a customer who
    asks again after every answer must not silence the reminders for good."""
    if not state.question_open:
        return False
    end = _pause_ends(state, policy)
    return end is None or today < end


def _pause_ends(state: InvoiceDunningState, policy: ReminderPolicy) -> date | None:
    if state.question_open_since is None:
        return None  # a question stored before the cap existed: paused until answered, as it was
    return state.question_open_since + timedelta(days=policy.max_question_pause_days)


def reminder_fee_minor(
    state: InvoiceDunningState, policy: ReminderPolicy, step: ReminderStep, today: date
) -> int:
    """The fee this reminder may carry under the law and the contract (see rule 6)."""
    if not (step.fee and state.fee_agreed and state.currency == FEE_CURRENCY and today > state.due_date):
        return 0
    room_under_cap = LEGAL_MAX_REMINDER_FEE_ORE - state.reminder_fees_charged_minor
    return max(0, min(policy.reminder_fee_ore, room_under_cap))


def _mandate_decision(state: InvoiceDunningState, policy: ReminderPolicy, today: date) -> Decision | None:
    """A decision while the mandate is still in play, or None once every retry has failed."""
    attempts = state.mandate_attempts
    if not attempts or attempts[-1].outcome is MandateOutcome.PENDING:
        return DoNothing(Reason.MANDATE_CHARGE_PENDING)
    if attempts[-1].outcome is MandateOutcome.SUCCEEDED:
        return DoNothing(Reason.MANDATE_CHARGE_SUCCEEDED)
    retries_made = len(attempts) - 1
    if retries_made >= len(policy.mandate_retry_days):
        return None
    retry_on = attempts[0].on + timedelta(days=policy.mandate_retry_days[retries_made])
    if today < retry_on:
        return DoNothing(Reason.WAITING_FOR_MANDATE_RETRY, retry_on)
    return RetryMandateCharge(invoice_id=state.invoice_id, attempt=len(attempts) + 1)


def _step_date(state: InvoiceDunningState, policy: ReminderPolicy, number: int) -> date:
    step = policy.steps[number - 1]
    send_on = state.due_date + timedelta(days=step.days_after_due)
    if number > 1:
        gap = step.days_after_due - policy.steps[number - 2].days_after_due
        send_on = max(send_on, state.reminders_sent[-1].sent_on + timedelta(days=gap))
    return send_on


def _resume_date(state: InvoiceDunningState, policy: ReminderPolicy) -> date | None:
    if state.question_answered_on is None:
        return None
    return state.question_answered_on + timedelta(days=policy.resume_grace_days)


def _reminder(
    state: InvoiceDunningState,
    policy: ReminderPolicy,
    rates: ReferenceRates,
    today: date,
    number: int,
    step: ReminderStep,
) -> SendReminder:
    fee = reminder_fee_minor(state, policy, step, today)
    interest: int | None = 0
    unavailable: str | None = None
    if policy.charge_interest:
        try:
            owed = late_payment_interest(state.amount_due_minor, state.due_date, today, rates)
            interest = owed.amount_minor
        except ReferenceRateMissing as missing:
            interest, unavailable = None, missing.reason
    tone = choose_tone(step.tone, state.customer, policy)
    movable = can_move_due_date(state, policy, today)
    relief = ReliefOffer(
        latest_due_date_iso=latest_moved_due_date(state, policy).isoformat() if movable else None,
        max_instalments=policy.max_instalments if can_split(state, policy) else 0,
    )
    message = build_reminder_message(
        invoice_id=state.invoice_id,
        tone=tone,
        currency=state.currency,
        amount_minor=state.amount_due_minor,
        due_date_iso=state.due_date.isoformat(),
        fee_minor=fee,
        interest_minor=interest,
        relief=relief,
    )
    return SendReminder(
        invoice_id=state.invoice_id,
        step=number,
        currency=state.currency,
        fee_minor=fee,
        interest_minor=interest,
        interest_through=today,
        tone=tone,
        message=message,
        interest_unavailable=unavailable,
    )
