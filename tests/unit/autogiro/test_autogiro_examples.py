"""Every Bankgirot example file parses with the counts and amounts listed in FORMAT.md §2."""

from __future__ import annotations

from datetime import date

import pytest
from autogiro_examples import examples_dir, read_example

from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import (
    AmendmentRequest,
    BankAccount,
    BgMaxFile,
    BlockKind,
    CancelAllPayments,
    CancelMandate,
    CancelPayment,
    CancelPaymentsOnDate,
    ChangePayerNumber,
    CreateMandate,
    DigitalMandateFile,
    Direction,
    MandateNotificationFile,
    MoveAllPayments,
    MovePayerPayments,
    MovePayment,
    MovePaymentsFromDate,
    PaymentOrder,
    PaymentSpecificationFile,
    PaymentStatus,
    PeriodCode,
    RejectDigitalMandate,
    RejectedPaymentsFile,
    RequestFile,
)
from billing.domain.autogiro.validation import validate_bank_account, validate_bankgiro
from billing.domain.autogiro.writer import render_request_lines

MANDATE_REQUESTS = "autogiro_exempelfil_medgivandeunderlag_sv.txt"
PAYMENT_REQUESTS = "autogiro_exempelfil-betalningsunderlag_sv.txt"
AMENDMENT_REQUESTS = "autogiro_exempelfilermakulerings-andringsunderlag_sv.txt"
MANDATE_NOTIFICATION = "autogiro_exempelfiler_medgivandeavisering_sv.txt"
DIGITAL_MANDATES = "autogiro_exempelfil_nya_medgivanden_via_internetbank_sv.txt"
PAYMENT_SPECIFICATION = "autogiro_exempelfil_bet-spec-o-tk_sv.txt"
REJECTED_PAYMENTS = "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"


def _request_records(data: bytes) -> list[object]:
    parsed = parse_file(data)
    assert isinstance(parsed, RequestFile)
    return [record for section in parsed.sections for record in section.records]


def test_mandate_requests_example() -> None:
    # Given Bankgirot's mandate-request example
    data = read_example(MANDATE_REQUESTS)

    # When it is parsed
    parsed = parse_file(data)
    assert isinstance(parsed, RequestFile)
    records = [r for s in parsed.sections for r in s.records]

    # Then it is one section with 3 account mandates, 3 without account, 2 AV, 2 deletes, 3 changes
    assert len(parsed.sections) == 1
    opening = parsed.sections[0].opening
    assert (opening.write_date, opening.customer_number, opening.payee_bankgiro) == (
        date(2008, 6, 11),
        "471117",
        "9912346",
    )
    creates = [r for r in records if isinstance(r, CreateMandate)]
    assert [r.payer_number for r in creates if r.account] == ["101", "102", "103"]
    assert creates[0].account == BankAccount("3300", "1212121212")
    assert creates[0].identity == "191212121212"
    assert [r.payer_number for r in creates if r.account is None] == ["2222101", "3331022", "7771014"]
    assert [r.payer_number for r in records if isinstance(r, RejectDigitalMandate)] == ["106", "107"]
    assert [r.payer_number for r in records if isinstance(r, CancelMandate)] == ["5551004", "4440104"]
    changes = [(r.old_payer_number, r.new_payer_number) for r in records if isinstance(r, ChangePayerNumber)]
    assert changes == [("111", "121"), ("112", "122"), ("5555242", "3330202")]


def test_payment_requests_example() -> None:
    # Given Bankgirot's payment-request example
    records = _request_records(read_example(PAYMENT_REQUESTS))

    # When the orders are split by direction
    orders = [r for r in records if isinstance(r, PaymentOrder)]
    incoming = [r for r in orders if r.direction is Direction.INCOMING]
    outgoing = [r for r in orders if r.direction is Direction.OUTGOING]

    # Then the amounts, GENAST and the repeating orders are as written
    assert len(orders) == len(records) == 9
    assert [r.amount_ore for r in incoming] == [75000, 25050, 110000, 500025, 35000]
    assert [r.amount_ore for r in outgoing] == [12500, 32500, 3000, 3000]
    assert incoming[4].payment_date is None  # GENAST
    assert (incoming[2].period_code, incoming[2].repetitions) == (PeriodCode.MONTHLY_LAST_DAY, 6)
    assert (incoming[3].period_code, incoming[3].repetitions) == (PeriodCode.QUARTERLY_LAST_DAY, 3)
    assert incoming[0].reference == "ÅRSKORT-2008"


def test_amendment_requests_example() -> None:
    # Given Bankgirot's cancellation and date-change example
    records = _request_records(read_example(AMENDMENT_REQUESTS))

    # When the records are counted by kind
    def count(kind: type[AmendmentRequest]) -> int:
        return sum(1 for r in records if isinstance(r, kind))

    # Then there are 17: TK23 x3, TK24 x2, TK25 x4, TK26, TK27, TK28 x2, TK29 x4
    assert len(records) == 17
    assert count(CancelAllPayments) == 3
    assert count(CancelPaymentsOnDate) == 2
    assert count(CancelPayment) == 4
    assert count(MoveAllPayments) == 1
    assert count(MovePaymentsFromDate) == 1
    assert count(MovePayerPayments) == 2
    assert count(MovePayment) == 4
    last = records[-1]
    assert isinstance(last, MovePayment)
    assert (last.payer_number, last.amount_ore, last.direction, last.new_date, last.reference) == (
        "110",
        40000,
        Direction.OUTGOING,
        date(2008, 6, 24),
        "UTBETALN3",
    )


@pytest.mark.parametrize("name", [MANDATE_REQUESTS, PAYMENT_REQUESTS, AMENDMENT_REQUESTS])
def test_request_examples_are_rewritten_byte_for_byte(name: str) -> None:
    # Given a request example, its record lines padded to 80 positions
    text = read_example(name).decode("latin-1")
    original = [line.rstrip("\r")[:80].ljust(80) for line in text.split("\n") if line[:2].isdigit()]

    # When it is parsed and written again (check digits off: the examples use fictitious numbers)
    written = render_request_lines(parse_file(text), check_digits=False)

    # Then every record comes back in the same positions
    assert written == original


def test_mandate_notification_example() -> None:
    # Given Bankgirot's mandate-notification example
    parsed = parse_file(read_example(MANDATE_NOTIFICATION))

    # When its notices are listed
    assert isinstance(parsed, MandateNotificationFile)
    notices = parsed.notices()

    # Then the ten information/comment pairs are those of FORMAT.md §2, and TK09 says 10
    pairs = [(n.payer_number, n.information_code, n.comment_code) for n in notices]
    assert pairs == [
        ("103", "04", "32"),
        ("2222101", "03", "33"),
        ("103", "03", "33"),
        ("2222101", "46", "02"),
        ("102", "43", "07"),
        ("3331022", "04", "29"),
        ("101", "42", "32"),
        ("7771014", "03", "21"),
        ("104", "05", "32"),
        ("105", "05", "33"),
    ]
    assert parsed.sections[0].record_count == 10
    assert notices[0].account == BankAccount("5001", "1000020")
    assert notices[0].identity == "196803050000"
    assert notices[3].identity == "995556000521"
    assert notices[1].account is None and notices[1].identity is None
    assert all(n.action_date == date(2008, 6, 11) for n in notices)


def test_valid_check_digit_notification_passes_full_validation() -> None:
    # Given byrokrat's copy of the notification example edited to carry valid numbers
    parsed = parse_file(read_example("valid-check-digits/" + MANDATE_NOTIFICATION))
    assert isinstance(parsed, MandateNotificationFile)

    # When every account and bankgiro-payer number is validated
    notices = parsed.notices()
    accounts = [validate_bank_account(n.account.clearing, n.account.number) for n in notices if n.account]
    bankgiro_payers = [
        validate_bankgiro(n.payer_number) for n in notices if (n.identity or "").startswith("99")
    ]

    # Then they all pass
    assert len(accounts) == 5
    assert accounts[0] == BankAccount("5001", "1000023")
    assert bankgiro_payers == ["2222107", "3331022"]


def test_digital_mandates_example() -> None:
    # Given Bankgirot's internet-bank mandate example
    parsed = parse_file(read_example(DIGITAL_MANDATES))

    # When its mandates are listed
    assert isinstance(parsed, DigitalMandateFile)
    mandates = parsed.mandates()

    # Then there are four, with their details, one with a foreign address
    assert [m.payer_number for m in mandates] == ["111", "112", "113", "114"]
    assert [m.message_type for m in mandates] == [0, 0, 1, 1]
    assert parsed.sections[0].record_count == 20
    assert mandates[0].address_lines == ("ANDERS JOHANSSON", "C/O ANNA NILSSON", "LUGNA GATAN 5")
    assert (mandates[0].postcode, mandates[0].city) == ("12838", "SKARPNÄCK")
    assert mandates[2].information == "I LIKE TO PAY MONTHLY"
    assert (mandates[2].postcode, mandates[2].city) == (None, "USA")
    assert mandates[1].account == BankAccount("3300", "1212121212")


def test_payment_specification_example() -> None:
    # Given Bankgirot's payment specification example (it has a column ruler line)
    parsed = parse_file(read_example(PAYMENT_SPECIFICATION))
    assert isinstance(parsed, PaymentSpecificationFile)

    # When its blocks are read
    section = parsed.sections[0]
    kinds = [b.kind for b in section.blocks]
    deposit, withdrawal = section.blocks[0], section.blocks[1]

    # Then one deposit, one withdrawal and two refund blocks, with the statuses and totals written
    assert kinds == [BlockKind.DEPOSIT, BlockKind.WITHDRAWAL, BlockKind.REFUND, BlockKind.REFUND]
    assert (deposit.total_ore, deposit.approved_count) == (1_500_000, 5)
    assert [p.status.value for p in deposit.payments] == ["0", "0", "0", "0", "0", "1", "2", "9"]
    assert (withdrawal.total_ore, withdrawal.approved_count) == (300_000, 3)
    assert [p.status for p in withdrawal.payments].count(PaymentStatus.NO_FUNDS) == 1
    assert len(withdrawal.payments) == 4
    refunds = parsed.refunds()
    assert [(r.amount_ore, r.reason_code) for r in refunds] == [(20_000, "02"), (50_000, "01")]
    assert refunds[0].refund_date == date(2009, 11, 10)
    totals = section.totals
    assert (totals.deposit_records, totals.executed_incoming, totals.withdrawal_records) == (1, 5, 1)
    assert (totals.executed_outgoing, totals.refund_records, totals.refunds) == (3, 2, 2)
    assert section.opening.timestamp is not None
    assert section.opening.timestamp.microsecond == 123456
    assert deposit.payments[0].reference == "000000RIDLEKTION"


def test_rejected_payments_example() -> None:
    # Given Bankgirot's rejected-payments example
    parsed = parse_file(read_example(REJECTED_PAYMENTS))
    assert isinstance(parsed, RejectedPaymentsFile)

    # When its records are listed
    payments = parsed.payments()

    # Then the eight comment codes, the impossible date and the TK09 totals are kept
    assert [p.comment_code for p in payments] == ["02", "06", "08", "01", "12", "10", "13", "01"]
    assert payments[4].payment_date is None
    assert payments[4].payment_date_text == "20080633"
    assert payments[1].period_code == "9"
    assert payments[3].reference == "RIDLEKTION ÅTERB"
    totals = parsed.sections[0].totals
    assert (totals.outgoing_count, totals.outgoing_sum_ore) == (5, 128_200)
    assert (totals.incoming_count, totals.incoming_sum_ore) == (3, 87_551)


def test_bgmax_example() -> None:
    # Given Bankgirot's BgMax example for Autogiro (it has a tab in a reserved field)
    parsed = parse_file(read_example("autogiro_exempelfil_bg-max-forma_sv.txt"))

    # When it is parsed
    assert isinstance(parsed, BgMaxFile)
    payments = parsed.payments()

    # Then four executed payments of 700,00 kr in all, deposited in one section
    assert [p.amount_ore for p in payments] == [10000, 20000, 30000, 10000]
    assert [p.reference for p in payments] == ["65598", "84629", "39857", "644591"]
    deposit = parsed.sections[0].deposit
    assert (deposit.amount_ore, deposit.payment_count, deposit.payment_date) == (70000, 4, date(2009, 6, 3))
    assert deposit.bank_account == BankAccount("5841", "1009823")
    assert (parsed.payment_count, parsed.deposit_count, parsed.test) == (4, 1, False)
    assert payments[0].name_lines == ("Kalles Plåt AB",)
    assert (payments[0].payer_bankgiro, payments[0].organisationsnummer) == ("3783511", "5500001234")
    assert payments[1].payer_bankgiro is None


def test_every_example_file_parses() -> None:
    # Given every file in the examples folder
    examples = examples_dir()
    names = sorted(path.name for path in examples.glob("*.txt"))

    # When each is parsed
    results = {}
    for name in names:
        try:
            results[name] = type(parse_file((examples / name).read_bytes())).__name__
        except AutogiroParseError as error:
            results[name] = f"error: {error.reason}"

    # Then every one of them parses
    assert len(results) == 8
    assert not [name for name, result in results.items() if result.startswith("error")], results
