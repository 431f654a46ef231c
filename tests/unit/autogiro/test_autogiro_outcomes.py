"""What reports mean for mandates and invoices, with reasons a customer can read."""

from __future__ import annotations

from datetime import date

import pytest
from autogiro_builders import file_text, record, report_opening
from autogiro_examples import read_example

from billing.domain.autogiro.outcomes import (
    MandateOutcomeKind,
    PaymentOutcomeKind,
    amendment_outcome,
    mandate_outcome,
    outcomes_of,
)
from billing.domain.autogiro.parser import parse_file
from billing.domain.autogiro.records import AmendmentResult, Direction, MandateNotice


def test_mandate_notification_example_outcomes() -> None:
    # Given Bankgirot's mandate-notification example
    parsed = parse_file(read_example("autogiro_exempelfiler_medgivandeavisering_sv.txt"))

    # When its outcomes are derived
    outcomes = outcomes_of(parsed).mandates

    # Then each code pair means what FORMAT.md §1.3.2 says, with a reason in both languages
    assert [(o.payer_number, o.kind) for o in outcomes] == [
        ("103", MandateOutcomeKind.APPROVED),
        ("2222101", MandateOutcomeKind.CANCELLED),
        ("103", MandateOutcomeKind.CANCELLED),
        ("2222101", MandateOutcomeKind.CANCELLED),
        ("102", MandateOutcomeKind.CANCELLED),
        ("3331022", MandateOutcomeKind.REJECTED),
        ("101", MandateOutcomeKind.APPROVED),
        ("7771014", MandateOutcomeKind.REQUEST_FAILED),
        ("104", MandateOutcomeKind.PAYER_NUMBER_CHANGED),
        ("105", MandateOutcomeKind.PAYER_NUMBER_RETIRED),
    ]
    assert all(o.reason.message for o in outcomes)
    assert outcomes[3].reason.code == "46/02"
    # (the sentence's key; its Swedish words are the catalog's: tests/unit/test_customer_words.py)
    assert outcomes[3].reason.message == "The mandate was cancelled by you or your bank."


@pytest.mark.parametrize(
    ("info", "comment", "kind", "words"),
    [
        ("04", "23", MandateOutcomeKind.REJECTED, "account number is wrong"),
        ("42", "03", MandateOutcomeKind.REJECTED, "cannot be used for Autogiro"),
        ("04", "10", MandateOutcomeKind.REJECTED, "already registered"),
        ("44", "98", MandateOutcomeKind.CANCELLED, "bankgiro number it debited was closed"),
        ("10", None, MandateOutcomeKind.CANCELLED, "our bankgiro number was closed"),
        ("99", "77", MandateOutcomeKind.UNKNOWN, "Unknown"),
    ],
)
def test_mandate_codes(info: str, comment: str | None, kind: MandateOutcomeKind, words: str) -> None:
    notice = MandateNotice("58056201", "1234", None, None, info, comment, date(2026, 1, 15))
    outcome = mandate_outcome(notice)
    assert outcome.kind is kind
    assert words in outcome.reason.message


def test_payment_specification_example_outcomes() -> None:
    # Given Bankgirot's payment specification example
    parsed = parse_file(read_example("autogiro_exempelfil_bet-spec-o-tk_sv.txt"))

    # When its outcomes are derived
    payments = outcomes_of(parsed).payments
    incoming = [
        p for p in payments if p.direction is Direction.INCOMING and p.kind is not PaymentOutcomeKind.REFUNDED
    ]

    # Then status 0 settles, 1 and 2 fail with the reason, 9 waits for a retry, TK77 is a refund
    assert [p.kind for p in incoming] == [PaymentOutcomeKind.SETTLED] * 5 + [
        PaymentOutcomeKind.FAILED,
        PaymentOutcomeKind.FAILED,
        PaymentOutcomeKind.RETRY_PENDING,
    ]
    assert incoming[0].reason is None
    assert incoming[5].reason is not None and "not enough money" in incoming[5].reason.message
    assert incoming[6].reason is not None and "no longer connected" in incoming[6].reason.message
    refunds = [p for p in payments if p.kind is PaymentOutcomeKind.REFUNDED]
    assert [(r.amount_ore, r.reason.code if r.reason else None) for r in refunds] == [
        (20000, "02"),
        (50000, "01"),
    ]
    # And an outcome finds its order although the reference came back zero-padded
    assert incoming[0].matches(payer_number="0101", amount_ore=300000, reference="RIDLEKTION")
    assert not incoming[0].matches(payer_number="101", amount_ore=300001, reference="RIDLEKTION")


def test_rejected_payments_example_outcomes() -> None:
    # Given Bankgirot's rejected-payments example
    payments = outcomes_of(
        parse_file(read_example("autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"))
    ).payments

    # Then every order is rejected; a missing mandate is explained, our own mistakes read as ours
    assert {p.kind for p in payments} == {PaymentOutcomeKind.REJECTED}
    by_code = {p.reason.code: p.reason for p in payments if p.reason}
    assert "no approved Autogiro mandate" in by_code["01"].message
    assert "error on our side" in by_code["06"].message


def test_amendment_outcomes() -> None:
    def result(tk: str, comment: str) -> AmendmentResult:
        return AmendmentResult(
            transaction_code=tk,
            payment_date=date(2026, 1, 20),
            payment_date_text="20260120",
            payer_number="1001",
            direction=Direction.INCOMING,
            amount_ore=34900,
            reference="OCR1",
            payment_count=None,
            new_date=date(2026, 1, 27) if tk == "29" else None,
            comment_code=comment,
        )

    assert amendment_outcome(result("25", "12")).kind is PaymentOutcomeKind.CANCELLED
    moved = amendment_outcome(result("29", "18"))
    assert (moved.kind, moved.new_date) == (PaymentOutcomeKind.MOVED, date(2026, 1, 27))
    failed = amendment_outcome(result("25", "13"))
    assert failed.kind is PaymentOutcomeKind.AMENDMENT_FAILED
    # (Bankgirot's comment, "payment not found", is the operator's: the customer reads what happened)
    assert (
        failed.reason is not None and failed.reason.message == "The change to the payment could not be made."
    )
    by_bank = amendment_outcome(result("11", "12"))
    assert by_bank.kind is PaymentOutcomeKind.CANCELLED and by_bank.reason is not None
    assert "by the bank" in by_bank.reason.message


def test_bgmax_payments_settle_by_reference() -> None:
    # Given Bankgirot's BgMax example: executed payments without payer numbers
    payments = outcomes_of(parse_file(read_example("autogiro_exempelfil_bg-max-forma_sv.txt"))).payments
    # Then each settles and is found by amount and reference alone
    assert {p.kind for p in payments} == {PaymentOutcomeKind.SETTLED}
    assert payments[1].matches(payer_number="4711", amount_ore=20000, reference="84629")
    assert not payments[1].matches(payer_number="4711", amount_ore=20000, reference="84628")


def test_digital_mandates_ask_for_an_answer_and_requests_have_no_outcomes() -> None:
    digital = outcomes_of(
        parse_file(read_example("autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt"))
    )
    assert [m.payer_number for m in digital.digital_mandates] == ["111", "112", "113", "114"]
    requests = outcomes_of(parse_file(read_example("autogiro_exempelfil_medgivandeunderlag_sv.txt")))
    assert requests.mandates == () and requests.payments == ()


def test_a_notice_built_from_the_layout_maps_to_approved() -> None:
    text = file_text(
        report_opening("AG-MEDAVI"),
        record((1, "730058056201"), (13, "1234".rjust(16, "0")), (29, "5000" + "1111116".rjust(12, "0")),
               (45, "198203232775"), (62, "0432"), (66, "20260115")),
        "092026011599000000001",
    )  # fmt: skip
    (outcome,) = outcomes_of(parse_file(text)).mandates
    assert (outcome.payer_number, outcome.kind) == ("1234", MandateOutcomeKind.APPROVED)
