"""What goes into a day's request file: the sending window, the 8-banking-day notice, Bankgirot's
19:00 deadline, and the same-day rules for mandates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from billing.domain.autogiro.bankdays import STOCKHOLM, is_banking_day
from billing.domain.autogiro.parser import parse_file
from billing.domain.autogiro.planning import (
    AutogiroPayee,
    DebitToCancel,
    DigitalMandateAnswer,
    DueDebit,
    DuePayout,
    HoldReason,
    MandateCancellation,
    NewMandate,
    plan_request_file,
)
from billing.domain.autogiro.records import (
    BankAccount,
    CancelMandate,
    CancelPayment,
    CreateMandate,
    Direction,
    RejectDigitalMandate,
    RequestFile,
)
from billing.domain.autogiro.writer import AutogiroWriteError

PAYEE = AutogiroPayee(customer_number="123456", bankgiro="58056201")
THURSDAY_MORNING = datetime(2026, 1, 15, 10, 0, tzinfo=STOCKHOLM)


def debit(
    invoice_id: str, debit_date: date, notified_on: date, payer: str = "1001", amount: int = 34900
) -> DueDebit:
    return DueDebit(invoice_id, payer, amount, debit_date, notified_on, reference=f"OCR{invoice_id}")


def test_debits_in_the_window_with_enough_notice_are_sent() -> None:
    # Given debits for tomorrow, next Thursday, a Saturday and in two weeks, all notified in time
    debits = [
        debit("tomorrow", date(2026, 1, 16), date(2026, 1, 2)),
        debit("thursday", date(2026, 1, 22), date(2026, 1, 8), payer="1002"),
        debit("saturday", date(2026, 1, 17), date(2026, 1, 2), payer="1003"),
        debit("later", date(2026, 1, 30), date(2026, 1, 15), payer="1004"),
    ]

    # When Thursday morning's file is planned
    plan = plan_request_file(now=THURSDAY_MORNING, payee=PAYEE, debits=debits)

    # Then the three within five banking days go out, on banking days; the fourth waits
    sent = {d.invoice_id: d.order.payment_date for d in plan.debits}
    assert sent == {
        "tomorrow": date(2026, 1, 16),
        "saturday": date(2026, 1, 19),
        "thursday": date(2026, 1, 22),
    }
    assert all(d.order.direction is Direction.INCOMING and d.order.amount_ore == 34900 for d in plan.debits)
    assert [(h.item_id, h.reason, h.refused) for h in plan.held] == [("later", HoldReason.NOT_YET, False)]
    assert plan.opening.write_date == date(2026, 1, 15)


def test_a_debit_after_bankgirots_deadline_is_refused_not_moved() -> None:
    # Given a debit for Friday and the file written Thursday at 19:00 Swedish time
    evening = datetime(2026, 1, 15, 19, 0, tzinfo=STOCKHOLM)

    # When the file is planned
    plan = plan_request_file(
        now=evening, payee=PAYEE, debits=[debit("friday", date(2026, 1, 16), date(2026, 1, 2))]
    )

    # Then the debit is refused with the deadline, because the customer was told Friday
    assert plan.debits == ()
    (held,) = plan.held
    assert (held.reason, held.refused) == (HoldReason.DEADLINE_PASSED, True)
    assert "2026-01-15T19:00+01:00" in held.detail

    # And one minute earlier it would still have gone out
    earlier = plan_request_file(
        now=evening - timedelta(minutes=1),
        payee=PAYEE,
        debits=[debit("friday", date(2026, 1, 16), date(2026, 1, 2))],
    )
    assert [d.invoice_id for d in earlier.debits] == ["friday"]


def test_a_safety_margin_moves_the_cut_off_earlier() -> None:
    # Given a two-hour margin for the transport and a file written at 17:30
    now = datetime(2026, 1, 15, 17, 30, tzinfo=STOCKHOLM)
    plan = plan_request_file(
        now=now,
        payee=PAYEE,
        debits=[debit("friday", date(2026, 1, 16), date(2026, 1, 2))],
        safety_margin=timedelta(hours=2),
    )
    # Then the Friday debit is already too late
    assert [h.reason for h in plan.held] == [HoldReason.DEADLINE_PASSED]


def test_a_debit_notified_less_than_eight_banking_days_ahead_is_refused() -> None:
    # Given a debit for Tuesday 20 January notified on Monday 12 January (6 banking days)
    plan = plan_request_file(
        now=THURSDAY_MORNING, payee=PAYEE, debits=[debit("short", date(2026, 1, 20), date(2026, 1, 12))]
    )
    # Then it is refused with the count
    (held,) = plan.held
    assert held.reason is HoldReason.NOTICE_TOO_SHORT
    assert "6 banking days" in held.detail


def test_mandate_rules_for_the_same_day() -> None:
    # Given a new mandate, internet-bank answers, and cancellations, one of them for the new mandate
    account = BankAccount("5000", "1111116")
    plan = plan_request_file(
        now=THURSDAY_MORNING,
        payee=PAYEE,
        new_mandates=[NewMandate("2001", account, "198203232775")],
        digital_answers=[
            DigitalMandateAnswer("2002", approve=True),
            DigitalMandateAnswer("2003", approve=False),
        ],
        cancellations=[MandateCancellation("2001"), MandateCancellation("2004")],
        debits=[
            debit("new-mandate", date(2026, 1, 16), date(2026, 1, 2), payer="2001"),
            debit("leaving", date(2026, 1, 16), date(2026, 1, 2), payer="2004"),
        ],
    )

    # Then the mandate requests are written, the same-day cancellation waits, and no debit goes out
    # for a payer whose mandate changes in this file
    assert plan.mandates == (
        CreateMandate("2001", account, "198203232775"),
        CreateMandate("2002"),
        RejectDigitalMandate("2003"),
        CancelMandate("2004"),
    )
    reasons = {h.item_id: h.reason for h in plan.held}
    assert reasons == {
        "2001": HoldReason.NEXT_FILE,
        "new-mandate": HoldReason.MANDATE_CHANGING,
        "leaving": HoldReason.MANDATE_CHANGING,
    }
    assert plan.debits == ()


def test_payouts_cancellations_and_invalid_items() -> None:
    # Given a refund pay-out, a debit to cancel, a duplicate and a zero amount
    plan = plan_request_file(
        now=THURSDAY_MORNING,
        payee=PAYEE,
        payouts=[DuePayout("refund-1", "3001", 5000, date(2026, 1, 10), "RETUR1")],
        debits_to_cancel=[DebitToCancel("credited", "3002", date(2026, 1, 20), 12000, "OCR9")],
        debits=[
            debit("twice", date(2026, 1, 16), date(2026, 1, 2), payer="3003"),
            debit("twice", date(2026, 1, 16), date(2026, 1, 2), payer="3003"),
            debit("zero", date(2026, 1, 16), date(2026, 1, 2), payer="3004", amount=0),
        ],
    )

    # Then the pay-out goes out on the next banking day, the cancellation is a TK25, and the bad
    # items are refused
    ((payout_id, payout),) = plan.payouts
    assert (payout_id, payout.direction, payout.payment_date) == (
        "refund-1",
        Direction.OUTGOING,
        date(2026, 1, 16),
    )
    assert plan.amendments == (CancelPayment("3002", date(2026, 1, 20), 12000, Direction.INCOMING, "OCR9"),)
    assert [d.invoice_id for d in plan.debits] == ["twice"]
    assert {(h.item_id, h.reason) for h in plan.held} == {
        ("twice", HoldReason.DUPLICATE),
        ("zero", HoldReason.INVALID),
    }


def test_the_plan_writes_a_file_that_parses_back() -> None:
    # Given a plan with a mandate, a cancellation of a debit and two debits
    plan = plan_request_file(
        now=THURSDAY_MORNING,
        payee=PAYEE,
        new_mandates=[NewMandate("2001", BankAccount("5000", "1111116"), "198203232775")],
        debits_to_cancel=[DebitToCancel("credited", "3002", date(2026, 1, 20), 12000, "OCR9")],
        debits=[
            debit("a", date(2026, 1, 16), date(2026, 1, 2)),
            debit("b", date(2026, 1, 19), date(2026, 1, 2)),
        ],
    )

    # When it is written (with check digits on) and parsed
    file = plan.to_request_file()
    parsed = parse_file(plan.write())

    # Then the sections come in processing order: mandates, amendments, payments
    assert isinstance(parsed, RequestFile)
    assert parsed == file
    assert [type(s.records[0]).__name__ for s in parsed.sections] == [
        "CreateMandate",
        "CancelPayment",
        "PaymentOrder",
    ]
    assert all(is_banking_day(d.order.payment_date) for d in plan.debits if d.order.payment_date)


def test_an_empty_plan_and_naive_times() -> None:
    empty = plan_request_file(now=THURSDAY_MORNING, payee=PAYEE)
    assert empty.is_empty
    with pytest.raises(AutogiroWriteError):
        empty.write()
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_request_file(now=datetime(2026, 1, 15, 10, 0), payee=PAYEE)
