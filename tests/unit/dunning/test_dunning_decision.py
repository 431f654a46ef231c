"""The daily decision: the legal rules for fees, the pauses, mandate retries first, then reminders."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from dunning_builders import DUE, RATES, a_policy, an_invoice
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.dunning import (
    CustomerHistory,
    Decision,
    DoNothing,
    InvoiceDunningState,
    InvoiceStatus,
    MandateAttempt,
    MandateOutcome,
    Reason,
    ReminderPolicy,
    ReminderPolicyError,
    ReminderStep,
    RetryMandateCharge,
    SendReminder,
    SentReminder,
    Tone,
    decide_next_action,
    reminder_fee_minor,
)
from billing.services.dunning.policy_document import reminder_policy


def _day(n: int) -> date:
    """n days after the due date."""
    return DUE + timedelta(days=n)


def _reminder(decision: Decision) -> SendReminder:
    assert isinstance(decision, SendReminder), decision
    return decision


def _after_sending(state: InvoiceDunningState, decision: SendReminder, on: date) -> InvoiceDunningState:
    sent = SentReminder(step=decision.step, sent_on=on, fee_minor=decision.fee_minor)
    return dataclasses.replace(state, reminders_sent=(*state.reminders_sent, sent))


# --- Reminder fees (inkassokostnadslagen 2 §) ------------------------------------------------------


def test_no_fee_without_the_customers_agreement_when_the_debt_arose() -> None:
    # Given a fee step, but a contract without the fee agreement
    invoice = an_invoice(fee_agreed=False, reminders_sent=(SentReminder(1, _day(5)),))
    # When the fee step is due
    decision = _reminder(decide_next_action(invoice, a_policy(), RATES, _day(20)))
    # Then the reminder goes out without a fee, and the message does not mention one
    assert decision.step == 2
    assert decision.fee_minor == 0
    assert "dunning.reminder.fee" not in decision.message.body_keys


def test_with_the_agreement_the_fee_step_carries_the_fee() -> None:
    # Given the same invoice with the agreement on the contract
    invoice = an_invoice(fee_agreed=True, reminders_sent=(SentReminder(1, _day(5)),))
    # When the fee step is due
    decision = _reminder(decide_next_action(invoice, a_policy(reminder_fee_ore=5000), RATES, _day(20)))
    # Then the fee is charged and shown
    assert decision.fee_minor == 5000
    assert decision.message.params["fee"] == 5000


@pytest.mark.parametrize("days_before", [0, 1, 30])
def test_no_fee_before_or_on_the_due_date(days_before: int) -> None:
    # Given an agreed fee and a fee step
    invoice = an_invoice(fee_agreed=True)
    step = ReminderStep(days_after_due=1, fee=True, tone=Tone.FRIENDLY)
    # When asked on or before the due date
    today = _day(-days_before)
    # Then the fee rule gives nothing, and the decision sends nothing at all
    assert reminder_fee_minor(invoice, a_policy(), step, today) == 0
    assert decide_next_action(invoice, a_policy(), RATES, today) == DoNothing(Reason.NOT_YET_DUE, _day(1))


def test_the_day_after_the_due_date_a_fee_may_be_charged() -> None:
    invoice = an_invoice(fee_agreed=True)
    step = ReminderStep(days_after_due=1, fee=True, tone=Tone.FRIENDLY)
    assert reminder_fee_minor(invoice, a_policy(), step, _day(1)) == 6000


def test_reminder_fees_on_one_invoice_never_add_up_to_more_than_60_kr() -> None:
    # Given a tenant charging 40 kr at each of three fee steps
    policy = a_policy(
        steps=(
            ReminderStep(5, True, Tone.FRIENDLY),
            ReminderStep(15, True, Tone.CLEAR),
            ReminderStep(25, True, Tone.CLEAR),
        ),
        reminder_fee_ore=4000,
    )
    invoice = an_invoice(fee_agreed=True)
    # When all three reminders go out
    fees = []
    for n in (5, 15, 25):
        decision = _reminder(decide_next_action(invoice, policy, RATES, _day(n)))
        fees.append(decision.fee_minor)
        invoice = _after_sending(invoice, decision, _day(n))
    # Then the second is capped to what is left under 60 kr and the third carries none
    assert fees == [4000, 2000, 0]


def test_no_reminder_fee_on_an_invoice_in_another_currency() -> None:
    # Given a EUR invoice with an agreed fee (the 60 kr rule is for kronor; no basis in EUR)
    invoice = an_invoice(currency="EUR", fee_agreed=True, reminders_sent=(SentReminder(1, _day(5)),))
    # When the fee step is due / Then no fee
    assert _reminder(decide_next_action(invoice, a_policy(), RATES, _day(20))).fee_minor == 0


@settings(max_examples=200, deadline=None)
@given(
    fee=st.integers(min_value=1, max_value=6000),
    fee_steps=st.lists(st.booleans(), min_size=1, max_size=6),
    agreed=st.booleans(),
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=6, max_size=6),
)
def test_whatever_the_policy_total_fees_stay_within_the_law(
    fee: int, fee_steps: list[bool], agreed: bool, gaps: list[int]
) -> None:
    # Given any valid policy and any agreement flag
    steps = tuple(ReminderStep(5 * (i + 1), f, Tone.FRIENDLY) for i, f in enumerate(fee_steps))
    if not any(fee_steps):
        fee = 0
    policy = a_policy(steps=steps, reminder_fee_ore=fee)
    invoice = an_invoice(fee_agreed=agreed)
    # When the daily job runs on scattered days until every step is sent
    today = DUE
    for gap in gaps * 4:
        today += timedelta(days=gap)
        decision = decide_next_action(invoice, policy, RATES, today)
        if isinstance(decision, SendReminder):
            # Then no fee ever comes on or before the due date
            assert decision.fee_minor == 0 or today > DUE
            invoice = _after_sending(invoice, decision, today)
    # Then fees total at most 60 kr, and none at all without the agreement
    assert invoice.reminder_fees_charged_minor <= 6000
    if not agreed:
        assert invoice.reminder_fees_charged_minor == 0


# --- Interest on the reminder ----------------------------------------------------------------------


def test_the_reminder_states_interest_so_far_under_the_interest_act() -> None:
    # Given 1 250 kr due 14 March 2025 (reference rate 3,00 % → 11 %), first reminder 5 days late
    # When / Then: 125 000 × 0,11 × 5 / 365 = 188,35… → 188 öre
    decision = _reminder(decide_next_action(an_invoice(), a_policy(), RATES, _day(5)))
    assert decision.interest_minor == 188
    assert decision.interest_through == _day(5)
    assert decision.message.params["total"] == 125_000 + 188


def test_a_tenant_may_waive_interest() -> None:
    decision = _reminder(decide_next_action(an_invoice(), a_policy(charge_interest=False), RATES, _day(5)))
    assert decision.interest_minor == 0
    assert "dunning.reminder.interest" not in decision.message.body_keys


def test_a_missing_reference_rate_sends_the_reminder_without_interest_and_says_why() -> None:
    # Given an invoice late into a half-year whose rate is not yet on file (after June 2026)
    invoice = an_invoice(original_due_date=date(2026, 6, 25))
    # When the first step is due on 30 June + 5 days
    decision = _reminder(decide_next_action(invoice, a_policy(), RATES, date(2026, 7, 1)))
    # Then the reminder claims no interest, and the decision says which rate is missing
    assert decision.interest_minor is None
    assert decision.interest_unavailable is not None and "2026-07-01" in decision.interest_unavailable
    assert "dunning.reminder.interest" not in decision.message.body_keys


# --- Never a reminder for what is settled ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (InvoiceStatus.PAID, Reason.PAID),
        (InvoiceStatus.CREDITED, Reason.CREDITED),
        (InvoiceStatus.DISPUTED, Reason.DISPUTED),
        (InvoiceStatus.SPLIT, Reason.SPLIT_INTO_INSTALMENTS),
    ],
)
def test_a_settled_or_disputed_invoice_gets_nothing_with_the_reason(
    status: InvoiceStatus, reason: Reason
) -> None:
    assert decide_next_action(an_invoice(status=status), a_policy(), RATES, _day(20)) == DoNothing(reason)


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from([InvoiceStatus.PAID, InvoiceStatus.CREDITED, InvoiceStatus.DISPUTED]),
    days_late=st.integers(min_value=-60, max_value=400),
    sent=st.integers(min_value=0, max_value=2),
    question_open=st.booleans(),
    answered=st.one_of(st.none(), st.integers(min_value=-30, max_value=30)),
    by_mandate=st.booleans(),
    outcomes=st.lists(st.sampled_from(list(MandateOutcome)), max_size=4),
    tenure=st.integers(min_value=0, max_value=300),
    late_before=st.integers(min_value=0, max_value=20),
    amount=st.integers(min_value=0, max_value=10**8),
)
def test_a_paid_credited_or_disputed_invoice_never_gets_a_reminder_or_a_charge(
    status: InvoiceStatus,
    days_late: int,
    sent: int,
    question_open: bool,
    answered: int | None,
    by_mandate: bool,
    outcomes: list[MandateOutcome],
    tenure: int,
    late_before: int,
    amount: int,
) -> None:
    # Given any invoice in a closed status, whatever else is true about it
    attempts = tuple(
        MandateAttempt(i + 1, DUE, MandateOutcome.FAILED if i < len(outcomes) - 1 else outcome)
        for i, outcome in enumerate(outcomes)
    )
    invoice = an_invoice(
        status=status,
        amount_due_minor=amount,
        reminders_sent=tuple(SentReminder(i + 1, _day(5 * (i + 1))) for i in range(sent)),
        question_open=question_open,
        question_answered_on=None if answered is None else _day(answered),
        pays_by_mandate=by_mandate or bool(attempts),
        mandate_attempts=attempts,
        customer=CustomerHistory(tenure, late_before),
    )
    policy = a_policy(mandate_retry_days=(2, 4))
    # When decided on any day / Then nothing is done
    decision = decide_next_action(invoice, policy, RATES, _day(days_late))
    assert isinstance(decision, DoNothing)
    assert decision.reason in {Reason.PAID, Reason.CREDITED, Reason.DISPUTED}


def test_an_invoice_with_nothing_left_to_pay_gets_nothing() -> None:
    invoice = an_invoice(amount_due_minor=0)
    assert decide_next_action(invoice, a_policy(), RATES, _day(30)) == DoNothing(Reason.NOTHING_OWED)


# --- Open questions pause, answers resume ----------------------------------------------------------


def test_an_open_question_pauses_reminders_and_an_answer_resumes_them_after_the_grace() -> None:
    policy = a_policy(resume_grace_days=3)
    # Given the first reminder is due on day 5 but the customer asked a question on day 2
    asked = an_invoice(question_open=True)
    # When the daily job runs while the question is open / Then nothing, however late it gets
    for n in (5, 6, 30):
        assert decide_next_action(asked, policy, RATES, _day(n)) == DoNothing(Reason.QUESTION_OPEN)
    # Given the question is answered on day 30
    answered = dataclasses.replace(asked, question_open=False, question_answered_on=_day(30))
    # When the job runs within the grace / Then it waits, naming the day it resumes
    assert decide_next_action(answered, policy, RATES, _day(31)) == DoNothing(
        Reason.RESUMING_AFTER_ANSWER, _day(33)
    )
    # When the grace is over / Then the reminder that was due goes out (step 1, not a burst of both)
    decision = _reminder(decide_next_action(answered, policy, RATES, _day(33)))
    assert decision.step == 1


def test_after_a_pause_the_next_step_keeps_the_policys_gap_from_the_previous_reminder() -> None:
    # Given step 1 went out late, on day 33, after a question (steps are on days 5 and 20: 15 days apart)
    invoice = an_invoice(reminders_sent=(SentReminder(1, _day(33)),), question_answered_on=_day(30))
    # When the job runs the next day / Then step 2 waits until 15 days after step 1
    assert decide_next_action(invoice, a_policy(), RATES, _day(34)) == DoNothing(
        Reason.WAITING_FOR_NEXT_STEP, _day(48)
    )
    assert _reminder(decide_next_action(invoice, a_policy(), RATES, _day(48))).step == 2


def test_an_old_answer_does_not_delay_reminders() -> None:
    invoice = an_invoice(question_answered_on=_day(-10))
    assert _reminder(decide_next_action(invoice, a_policy(resume_grace_days=3), RATES, _day(5))).step == 1


def test_a_question_also_pauses_mandate_retries() -> None:
    invoice = an_invoice(
        pays_by_mandate=True,
        mandate_attempts=(MandateAttempt(1, DUE, MandateOutcome.FAILED),),
        question_open=True,
    )
    decision = decide_next_action(invoice, a_policy(mandate_retry_days=(2,)), RATES, _day(3))
    assert decision == DoNothing(Reason.QUESTION_OPEN)


# --- Steps -----------------------------------------------------------------------------------------


def test_steps_go_out_on_their_days_and_then_stop() -> None:
    invoice = an_invoice()
    policy = a_policy()
    # Given nothing sent / When the job runs on day 4 / Then it waits for day 5
    assert decide_next_action(invoice, policy, RATES, _day(4)) == DoNothing(
        Reason.WAITING_FOR_NEXT_STEP, _day(5)
    )
    first = _reminder(decide_next_action(invoice, policy, RATES, _day(5)))
    invoice = _after_sending(invoice, first, _day(5))
    assert decide_next_action(invoice, policy, RATES, _day(19)) == DoNothing(
        Reason.WAITING_FOR_NEXT_STEP, _day(20)
    )
    second = _reminder(decide_next_action(invoice, policy, RATES, _day(20)))
    invoice = _after_sending(invoice, second, _day(20))
    # Then after the last step nothing more, ever
    assert decide_next_action(invoice, policy, RATES, _day(200)) == DoNothing(Reason.ALL_STEPS_DONE)
    assert (first.step, second.step) == (1, 2)
    assert second.idempotency_key == "inv-2025-0042:reminder:2"


def test_a_moved_due_date_moves_the_reminders_with_it() -> None:
    # Given the customer moved the due date 10 days
    invoice = an_invoice(due_date_moved_to=_day(10))
    # When the job runs on the original first-step day / Then not yet due
    assert decide_next_action(invoice, a_policy(), RATES, _day(5)) == DoNothing(Reason.NOT_YET_DUE, _day(11))
    # Then the first step is 5 days after the new due date, with interest only from the new date:
    #   125 000 × 0,11 × 5 / 365 = 188 öre
    decision = _reminder(decide_next_action(invoice, a_policy(), RATES, _day(15)))
    assert decision.step == 1
    assert decision.interest_minor == 188


# --- Mandate retries come before reminders ---------------------------------------------------------


def _mandate_invoice(*outcomes: tuple[int, MandateOutcome]) -> InvoiceDunningState:
    attempts = tuple(MandateAttempt(i + 1, _day(day), outcome) for i, (day, outcome) in enumerate(outcomes))
    return an_invoice(pays_by_mandate=True, mandate_attempts=attempts)


def test_failed_mandate_charges_are_retried_on_the_schedule_before_any_reminder() -> None:
    # Given retries 3 and 7 days after the first failed charge, and a first reminder on day 5
    policy = a_policy(mandate_retry_days=(3, 7))
    failed = MandateOutcome.FAILED
    # Given the charge on the due date failed
    invoice = _mandate_invoice((0, failed))
    # When the job runs before the first retry / Then it waits for it
    assert decide_next_action(invoice, policy, RATES, _day(2)) == DoNothing(
        Reason.WAITING_FOR_MANDATE_RETRY, _day(3)
    )
    # When the first retry is due / Then attempt 2 with a deterministic idempotency key
    retry = decide_next_action(invoice, policy, RATES, _day(3))
    assert retry == RetryMandateCharge(invoice_id="inv-2025-0042", attempt=2)
    assert isinstance(retry, RetryMandateCharge) and retry.idempotency_key == "inv-2025-0042:charge:2"
    # Given attempt 2 is pending / When the reminder day (5) comes / Then no reminder while it is pending
    invoice = _mandate_invoice((0, failed), (3, MandateOutcome.PENDING))
    assert decide_next_action(invoice, policy, RATES, _day(5)) == DoNothing(Reason.MANDATE_CHARGE_PENDING)
    # Given attempt 2 failed / When day 5 comes / Then still no reminder: retry 3 is due on day 7
    invoice = _mandate_invoice((0, failed), (3, failed))
    assert decide_next_action(invoice, policy, RATES, _day(5)) == DoNothing(
        Reason.WAITING_FOR_MANDATE_RETRY, _day(7)
    )
    assert decide_next_action(invoice, policy, RATES, _day(7)) == RetryMandateCharge("inv-2025-0042", 3)
    # Given every retry failed / When the job runs / Then the first reminder, which was waiting, goes out
    invoice = _mandate_invoice((0, failed), (3, failed), (7, failed))
    assert _reminder(decide_next_action(invoice, policy, RATES, _day(7))).step == 1


def test_a_succeeded_mandate_charge_stops_everything() -> None:
    invoice = _mandate_invoice((0, MandateOutcome.FAILED), (3, MandateOutcome.SUCCEEDED))
    decision = decide_next_action(invoice, a_policy(mandate_retry_days=(3, 7)), RATES, _day(30))
    assert decision == DoNothing(Reason.MANDATE_CHARGE_SUCCEEDED)


def test_a_mandate_invoice_not_yet_charged_is_not_reminded() -> None:
    invoice = an_invoice(pays_by_mandate=True)
    assert decide_next_action(invoice, a_policy(), RATES, _day(30)) == DoNothing(
        Reason.MANDATE_CHARGE_PENDING
    )


def test_a_late_first_failure_pushes_retries_with_it() -> None:
    # Given the first charge only failed on day 4 (retries count from the first failure)
    invoice = _mandate_invoice((4, MandateOutcome.FAILED))
    policy = a_policy(mandate_retry_days=(3,))
    assert decide_next_action(invoice, policy, RATES, _day(6)) == DoNothing(
        Reason.WAITING_FOR_MANDATE_RETRY, _day(7)
    )


# --- Tone ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenure", "late_before", "step_index", "tone"),
    [
        (60, 0, 0, Tone.GENTLE),  # long-standing, first time late: gentlest, whatever the step
        (60, 0, 1, Tone.GENTLE),
        (6, 0, 0, Tone.FRIENDLY),  # new customer: the step's tone
        (6, 1, 1, Tone.CLEAR),
        (60, 2, 0, Tone.CLEAR),  # repeatedly late: one rung clearer
        (60, 5, 1, Tone.CLEAR),  # already at the top rung: stays there
    ],
)
def test_the_tone_follows_the_customers_history(
    tenure: int, late_before: int, step_index: int, tone: Tone
) -> None:
    sent = tuple(SentReminder(i + 1, _day(5)) for i in range(step_index))
    invoice = an_invoice(customer=CustomerHistory(tenure, late_before), reminders_sent=sent)
    decision = _reminder(decide_next_action(invoice, a_policy(), RATES, _day(40)))
    assert decision.tone is tone
    assert decision.message.subject_key == f"dunning.reminder.subject.{tone.value}"


def test_a_policy_without_steps_never_reminds() -> None:
    policy = ReminderPolicy(steps=())
    assert decide_next_action(an_invoice(), policy, RATES, _day(30)) == DoNothing(Reason.ALL_STEPS_DONE)


def test_questions_pause_reminders_at_most_the_policys_maximum_from_the_first_question() -> None:
    policy = a_policy(max_question_pause_days=14)
    # Given a question asked on day 2 and still open (or asked again after every answer)
    asked = an_invoice(question_open=True, question_open_since=_day(2))
    # When the job runs before the maximum pause is over / Then it waits, naming the day it ends
    assert decide_next_action(asked, policy, RATES, _day(15)) == DoNothing(Reason.QUESTION_OPEN, _day(16))
    # When the maximum pause is over / Then the reminder that was due goes out, question or not
    assert _reminder(decide_next_action(asked, policy, RATES, _day(16))).step == 1


def test_the_maximum_pause_is_part_of_the_policy_and_validated() -> None:
    assert reminder_policy({"steps": []}).max_question_pause_days == 14
    assert reminder_policy({"steps": [], "max_question_pause_days": 3}).max_question_pause_days == 3
    with pytest.raises(ReminderPolicyError) as refused:
        reminder_policy({"steps": [], "max_question_pause_days": 0})
    assert refused.value.field == "max_question_pause_days"
