"""Whole invoice lives, day by day through the pure rules, as the daily job would drive them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta

from dunning_builders import DUE, RATES, a_policy, an_invoice

from billing.domain.dunning import (
    InvoiceDunningState,
    InvoiceStatus,
    MandateAttempt,
    MandateOutcome,
    ReminderPolicy,
    RetryMandateCharge,
    SendReminder,
    SentReminder,
    decide_next_action,
    instalment_state,
    move_due_date,
    split_invoice,
)

Event = tuple[int, str]


def _run(
    invoice: InvoiceDunningState,
    policy: ReminderPolicy,
    days: range,
    world: Callable[[int, InvoiceDunningState], InvoiceDunningState] = lambda _, s: s,
) -> list[Event]:
    """Run the daily job for each day after the due date; `world` applies what customers do that day.
    Every mandate charge fails (the scenario is about what happens then)."""
    events: list[Event] = []
    for n in days:
        today = DUE + timedelta(days=n)
        invoice = world(n, invoice)
        decision = decide_next_action(invoice, policy, RATES, today)
        if isinstance(decision, RetryMandateCharge):
            attempt = MandateAttempt(decision.attempt, today, MandateOutcome.FAILED)
            invoice = dataclasses.replace(invoice, mandate_attempts=(*invoice.mandate_attempts, attempt))
            events.append((n, f"retry {decision.attempt}"))
        elif isinstance(decision, SendReminder):
            sent = SentReminder(decision.step, today, decision.fee_minor)
            invoice = dataclasses.replace(invoice, reminders_sent=(*invoice.reminders_sent, sent))
            events.append((n, f"reminder {decision.step} fee {decision.fee_minor} {decision.tone}"))
    return events


def test_a_mandate_customer_who_asks_a_question_then_pays() -> None:
    # Given an Autogiro customer whose charge on the due date failed, retries on days 3 and 7,
    # reminders on days 5 and 20 (the second with 60 kr, agreed in the contract)
    invoice = an_invoice(
        pays_by_mandate=True, mandate_attempts=(MandateAttempt(1, DUE, MandateOutcome.FAILED),)
    )
    policy = a_policy(mandate_retry_days=(3, 7))

    def world(n: int, state: InvoiceDunningState) -> InvoiceDunningState:
        if n == 9:  # the customer asks "why this amount?"
            return dataclasses.replace(state, question_open=True)
        if n == 25:  # answered on day 25
            answered = DUE + timedelta(days=25)
            return dataclasses.replace(state, question_open=False, question_answered_on=answered)
        if n == 40:  # and pays on day 40
            return dataclasses.replace(state, status=InvoiceStatus.PAID, amount_due_minor=0)
        return state

    # When the daily job runs for 90 days
    events = _run(invoice, policy, range(0, 90), world)
    # Then retries first; the first reminder (due day 5) only the run after the last retry failed;
    # the pause holds the second reminder (due day 20) until 3 days after the answer; nothing after
    # payment
    assert events == [
        (3, "retry 2"),
        (7, "retry 3"),
        (8, "reminder 1 fee 0 friendly"),
        (28, "reminder 2 fee 6000 clear"),
    ]


def test_a_customer_who_moves_the_due_date_is_reminded_from_the_new_date() -> None:
    # Given the customer moves the due date by 14 days two days before it falls due
    policy = a_policy()
    invoice = move_due_date(an_invoice(), DUE + timedelta(days=14), policy, today=DUE - timedelta(days=2))
    # When the daily job runs for 60 days and the customer never pays
    events = _run(invoice, policy, range(-5, 60))
    # Then the reminders come 5 and 20 days after the new due date, not the old one
    assert [n for n, _ in events] == [19, 34]


def test_a_split_invoice_is_never_reminded_but_a_late_instalment_is_on_its_own() -> None:
    # Given the customer splits 1 250 kr in two, first due on the original due date
    policy = a_policy()
    plan = split_invoice(an_invoice(), 2, DUE, policy, today=DUE - timedelta(days=3))
    first, second = (instalment_state(i, an_invoice()) for i in plan.instalments)
    # When the job runs: the parent is never reminded, the first instalment is paid on time
    assert _run(plan.invoice, policy, range(0, 90)) == []
    paid_first = dataclasses.replace(first, status=InvoiceStatus.PAID, amount_due_minor=0)
    assert _run(paid_first, policy, range(0, 90)) == []
    # Then the second instalment, due 14 April and unpaid, gets its own reminders from its own date
    assert second.due_date == date(2025, 4, 14)
    assert [n for n, _ in _run(second, policy, range(0, 90))] == [31 + 5, 31 + 20]
