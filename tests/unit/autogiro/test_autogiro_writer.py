"""Written request files parse back to what was written, and bad records are refused by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.autogiro.parser import parse_file
from billing.domain.autogiro.records import (
    BankAccount,
    CancelAllPayments,
    CancelMandate,
    CancelPayment,
    CancelPaymentsOnDate,
    ChangePayerNumber,
    CreateMandate,
    Direction,
    MandateRequest,
    MoveAllPayments,
    MovePayerPayments,
    MovePayment,
    MovePaymentsFromDate,
    PaymentOrder,
    PeriodCode,
    RejectDigitalMandate,
    RequestFile,
    RequestOpening,
    RequestSection,
)
from billing.domain.autogiro.writer import AutogiroWriteError, build_request_file, write_request_file

OPENING = RequestOpening(write_date=date(2026, 1, 15), customer_number="123456", payee_bankgiro="58056201")

payers = st.integers(min_value=1, max_value=10**16 - 1).map(str)
amounts = st.integers(min_value=1, max_value=999_999_999_999)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
references = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ0123456789-/ "), min_size=0, max_size=16
).map(str.strip)
directions = st.sampled_from(Direction)
accounts = st.builds(
    BankAccount,
    clearing=st.integers(min_value=1000, max_value=9999).map(str),
    number=st.integers(min_value=1, max_value=10**12 - 1).map(str),
)
identities = st.integers(min_value=10**10, max_value=10**12 - 1).map(lambda n: str(n).rjust(12, "0"))


@st.composite
def payment_orders(draw: st.DrawFn) -> PaymentOrder:
    period = draw(st.sampled_from(PeriodCode))
    genast = period is PeriodCode.ONCE and draw(st.booleans())
    repeats = None if period is PeriodCode.ONCE else draw(st.none() | st.integers(min_value=1, max_value=999))
    return PaymentOrder(
        direction=draw(directions),
        payment_date=None if genast else draw(days),
        payer_number=draw(payers),
        amount_ore=draw(amounts),
        reference=draw(references),
        period_code=period,
        repetitions=repeats,
    )


@st.composite
def account_mandates(draw: st.DrawFn) -> CreateMandate | RejectDigitalMandate:
    kind = draw(st.sampled_from([CreateMandate, RejectDigitalMandate]))
    with_account = draw(st.booleans())
    return kind(
        payer_number=draw(payers),
        account=draw(accounts) if with_account else None,
        identity=draw(identities) if with_account else None,
    )


mandate_requests = st.one_of(
    account_mandates(),
    st.builds(CancelMandate, payer_number=payers),
    st.builds(ChangePayerNumber, old_payer_number=payers, new_payer_number=payers).filter(
        lambda r: r.old_payer_number != r.new_payer_number
    ),
)
amendment_requests = st.one_of(
    st.builds(CancelAllPayments, payer_number=payers),
    st.builds(CancelPaymentsOnDate, payer_number=payers, payment_date=days),
    st.builds(CancelPayment, payer_number=payers, payment_date=days, amount_ore=amounts, direction=directions,
              reference=references),
    st.builds(MoveAllPayments, new_date=days),
    st.builds(MovePaymentsFromDate, payment_date=days, new_date=days),
    st.builds(MovePayerPayments, payer_number=payers, payment_date=days, new_date=days),
    st.builds(MovePayment, payer_number=payers, payment_date=days, amount_ore=amounts, direction=directions,
              new_date=days, reference=references),
)  # fmt: skip


@settings(max_examples=250, deadline=None)
@given(
    mandates=st.lists(mandate_requests, max_size=5),
    amendments=st.lists(amendment_requests, max_size=5),
    payments=st.lists(payment_orders(), max_size=5),
)
def test_written_files_parse_back_to_what_was_written(
    mandates: list[CreateMandate], amendments: list[CancelAllPayments], payments: list[PaymentOrder]
) -> None:
    # Given any valid records, one section per kind (check digits off: the numbers are random)
    file = build_request_file(OPENING, mandates=mandates, amendments=amendments, payments=payments)
    if not file.sections:
        return

    # When the file is written and parsed again
    data = write_request_file(file, check_digits=False)
    parsed = parse_file(data)

    # Then it is the same file, in 80-position CRLF lines of ISO-8859-1
    assert parsed == file
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) == 80 for line in lines[:-1])


def test_request_file_layout_matches_the_manual() -> None:
    # Given a mandate, a debit and a date change for payee 5805-6201
    account = BankAccount("5000", "1111116")
    file = build_request_file(
        OPENING,
        mandates=[CreateMandate("1234", account, "198203232775")],
        amendments=[
            MovePayment("1234", date(2026, 1, 30), 34900, Direction.INCOMING, date(2026, 2, 2), "1234567")
        ],
        payments=[PaymentOrder(Direction.INCOMING, date(2026, 1, 30), "1234", 34900, "12345674")],
    )

    # When it is written
    lines = write_request_file(file).decode("latin-1").split("\r\n")

    # Then each record has the positions of manual §7 (TK01 per section, no closing record)
    assert lines[0] == "0120260115AUTOGIRO" + " " * 44 + "1234560058056201  "
    assert lines[1] == "04005805620100000000000012345000000001111116198203232775".ljust(80)
    assert (
        lines[3]
        == "2900580562010000000000001234202601300000000349008220260202" + "1234567".ljust(16) + " " * 6
    )
    assert (
        lines[5] == "82202601300    00000000000012340000000349000058056201" + "12345674".ljust(16) + " " * 11
    )
    assert [line[:2] for line in lines[:-1]] == ["01", "04", "01", "29", "01", "82"]


def _mandates(*records: MandateRequest, opening: RequestOpening = OPENING) -> RequestFile:
    return build_request_file(opening, mandates=records)


def _debit(amount: int = 100, reference: str = "", **changes: Any) -> RequestFile:
    order = PaymentOrder(Direction.INCOMING, date(2026, 1, 30), "1", amount, reference)
    return build_request_file(OPENING, payments=[replace(order, **changes)])


SEB_OK = BankAccount("5000", "1111116")
BAD_BG = RequestOpening(date(2026, 1, 15), "123456", "9902346")


@pytest.mark.parametrize(
    ("file", "field"),
    [
        (build_request_file(BAD_BG), "sections"),
        (_mandates(CancelMandate("1"), opening=BAD_BG), "TK01.payee_bankgiro"),
        (_mandates(CancelMandate("0")), "CancelMandate.payer_number"),
        (
            _mandates(CreateMandate("12", BankAccount("5000", "1111117"), "198203232775")),
            "CreateMandate.account.number",
        ),
        (_mandates(CreateMandate("12", SEB_OK, "198203232776")), "CreateMandate.identity"),
        (_mandates(CreateMandate("12", SEB_OK)), "CreateMandate.identity"),
        (_mandates(ChangePayerNumber("12", "012")), "ChangePayerNumber.new_payer_number"),
        (_debit(payment_date=None, period_code=PeriodCode.MONTHLY_ON_DATE), "TK82.payment_date"),
        (_debit(amount=0), "TK82.amount_ore"),
        (_debit(amount=10**12, direction=Direction.OUTGOING), "TK32.amount_ore"),
        (_debit(reference="X" * 17), "TK82.reference"),
        (_debit(reference="€"), "TK82.reference"),
        (_debit(repetitions=3), "TK82.repetitions"),
        (RequestFile((RequestSection(OPENING, (CancelMandate("1"), CancelAllPayments("1"))),)), "section 1"),
        (
            _mandates(CancelMandate("1"), opening=replace(OPENING, customer_number="1234567")),
            "TK01.customer_number",
        ),
    ],
)
def test_bad_records_are_refused_with_the_field(file: RequestFile, field: str) -> None:
    # Given a request file with one bad value; When it is written; Then the field is named
    with pytest.raises(AutogiroWriteError) as caught:
        write_request_file(file)
    assert caught.value.field == field
    assert caught.value.reason


@settings(max_examples=250, deadline=None)
@given(
    payer=st.text(max_size=20),
    amount=st.integers(min_value=-10, max_value=10**13),
    reference=st.text(max_size=20),
    clearing=st.text(max_size=6),
    number=st.text(max_size=14),
    identity=st.text(max_size=14),
    check_digits=st.booleans(),
)
def test_any_bad_value_is_refused_cleanly(
    payer: str, amount: int, reference: str, clearing: str, number: str, identity: str, check_digits: bool
) -> None:
    # Given records filled with arbitrary text and numbers
    file = build_request_file(
        OPENING,
        mandates=[CreateMandate(payer, BankAccount(clearing, number), identity)],
        payments=[PaymentOrder(Direction.INCOMING, date(2026, 1, 30), payer, amount, reference)],
    )
    # When written; Then either a valid file that parses back, or an AutogiroWriteError
    try:
        data = write_request_file(file, check_digits=check_digits)
    except AutogiroWriteError as error:
        assert error.field and error.reason
        return
    assert isinstance(parse_file(data), RequestFile)
