"""Parses Autogiro files, both directions, into the typed records of `records.py`.

`parse_file(data)` recognises the file by its opening record (FORMAT.md §1.1) and returns one of:
request file (ours, possibly TK00/TK99-sealed), payment specification, mandate notification,
rejected payments, amendment report, internet-bank mandates, monitoring-register extract or
mandate-register extract. Only the new layout is read; an old-layout report is refused by name.

Tolerant of what real files do (FORMAT.md §1.6): lines shorter or longer than 80 positions (the
excess must be blank), title and ruler lines before the first record, blank lines, Latin-1 text,
references padded with zeros on either side, impossible dates and codes in rejections and
amendment answers. Strict where money is concerned: numeric fields must be numeric, dates in
payments must be real dates, and every control total in TK09/TK59 is reconciled with the records.
Anything else raises `AutogiroParseError(line_no, field, reason)`; no other exception escapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NoReturn

from billing.domain.autogiro.bankdays import STOCKHOLM
from billing.domain.autogiro.records import (
    AmendmentReportFile,
    AmendmentReportSection,
    AmendmentResult,
    AutogiroFile,
    BankAccount,
    BgMaxDeposit,
    BgMaxFile,
    BgMaxPayment,
    BgMaxSection,
    BlockKind,
    CancelAllPayments,
    CancelMandate,
    CancelPayment,
    CancelPaymentsOnDate,
    ChangePayerNumber,
    CreateMandate,
    DigitalMandate,
    DigitalMandateFile,
    DigitalMandateSection,
    Direction,
    FuturePayment,
    MandateNotice,
    MandateNotificationFile,
    MandateNotificationSection,
    MandateRegisterEntry,
    MandateRegisterFile,
    MonitoringRegisterFile,
    MonitoringRegisterSection,
    MoveAllPayments,
    MovePayerPayments,
    MovePayment,
    MovePaymentsFromDate,
    PaymentBlock,
    PaymentOrder,
    PaymentResult,
    PaymentSpecificationFile,
    PaymentSpecificationSection,
    PaymentSpecificationTotals,
    PaymentStatus,
    PeriodCode,
    Refund,
    RejectDigitalMandate,
    RejectedPayment,
    RejectedPaymentsFile,
    RejectedPaymentsSection,
    RejectedPaymentsTotals,
    ReportOpening,
    RequestFile,
    RequestOpening,
    RequestRecord,
    RequestSection,
    SealInfo,
    SignedTotals,
)
from billing.domain.autogiro.seal import SealError, verify_sealed_file


class AutogiroParseError(ValueError):
    """A file could not be read. `line_no` is 1-based in the file as given (title lines count)."""

    def __init__(self, line_no: int, field: str, reason: str) -> None:
        super().__init__(f"line {line_no}: {field}: {reason}")
        self.line_no = line_no
        self.field = field
        self.reason = reason


# Last digit of a negative signed amount (manual §8.5.3): å=0, J=1 ... R=9.
_SIGNED_DIGITS = {"å": 0, "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "O": 6, "P": 7, "Q": 8, "R": 9}


@dataclass(frozen=True)
class _Line:
    """One record line, padded to 80 positions, with 1-based field accessors that fail cleanly."""

    no: int
    text: str
    label: str | None = None  # how errors name the record; "TKnn" when None

    @property
    def tk(self) -> str:
        return self.text[:2]

    def fail(self, field: str, reason: str) -> NoReturn:
        raise AutogiroParseError(self.no, f"{self.label or 'TK' + self.tk} {field}", reason)

    def raw(self, start: int, end: int) -> str:
        return self.text[start - 1 : end]

    def text_field(self, start: int, end: int) -> str:
        return self.raw(start, end).strip()

    def digits(self, start: int, end: int, field: str) -> str:
        value = self.raw(start, end)
        if not (value.isascii() and value.isdigit()):
            self.fail(f"{field} ({start}-{end})", f"expected {end - start + 1} digits, got {value!r}")
        return value

    def number(self, start: int, end: int, field: str) -> int:
        return int(self.digits(start, end, field))

    def optional_number(self, start: int, end: int, field: str) -> int | None:
        if not self.raw(start, end).strip():
            return None
        return self.number(start, end, field)

    def payer(self, start: int, end: int, field: str = "payer number") -> str:
        digits = self.digits(start, end, field).lstrip("0")
        if not digits:
            self.fail(f"{field} ({start}-{end})", "the payer number is zero")
        return digits

    def optional_payer(self, start: int, end: int, field: str = "payer number") -> str | None:
        value = self.raw(start, end)
        if not value.strip() or value.strip("0") == "":
            return None
        return self.payer(start, end, field)

    def bankgiro(self, start: int, end: int, field: str = "payee bankgiro") -> str:
        return self.digits(start, end, field).lstrip("0")

    def date(self, start: int, end: int, field: str) -> dt.date:
        value = self.digits(start, end, field)
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            self.fail(f"{field} ({start}-{end})", f"{value!r} is not a date")

    def lenient_date(self, start: int, end: int) -> dt.date | None:
        """A date that may be zero, blank or impossible on purpose (answers to bad requests)."""
        value = self.raw(start, end)
        if not (value.isascii() and value.isdigit()):
            return None
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            return None

    def account(self, start: int, end: int) -> BankAccount | None:
        value = self.raw(start, end)
        if not value.strip() or value.strip("0") == "":
            return None
        digits = self.digits(start, end, "account")
        return BankAccount(clearing=digits[:4], number=digits[4:].lstrip("0") or "0")

    def identity(self, start: int, end: int) -> str | None:
        value = self.raw(start, end)
        if not value.strip() or value.strip("0") == "":
            return None
        return self.digits(start, end, "personnummer/organisationsnummer")

    def direction(self) -> Direction:
        return Direction(self.tk)

    def expect(self, start: int, end: int, expected: str, field: str) -> None:
        if self.raw(start, end).rstrip() != expected.rstrip():
            self.fail(
                f"{field} ({start}-{end})", f"expected {expected.strip()!r}, got {self.raw(start, end)!r}"
            )


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _signed_amount(line: _Line, start: int, end: int, field: str) -> int:
    """A signed amount field: digits, the last one possibly a letter making it negative.

    Any other trailing non-digit counts as å (0, negative): the conversion of å between character
    sets is unreliable, which is why byrokrat does the same.
    """
    value = line.raw(start, end)
    head, last = value[:-1], value[-1]
    if not (head.isascii() and head.isdigit()):
        line.fail(f"{field} ({start}-{end})", f"expected a signed amount, got {value!r}")
    if last.isascii() and last.isdigit():
        return int(head + last)
    if last == " ":
        line.fail(f"{field} ({start}-{end})", f"expected a signed amount, got {value!r}")
    return -(int(head) * 10 + _SIGNED_DIGITS.get(last, 0))


# --- Lines ---------------------------------------------------------------------------------------


def _split_lines(data: bytes | str) -> list[tuple[int, str]]:
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    # Line ends are CRLF, LF or CR alone (an old Mac export): all three end a line. Not
    # str.splitlines, which would also split on NEL (0x85), a Latin-1 byte.
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return list(enumerate(raw_lines, start=1))


# The column ruler of Bankgirot's example files: "[---+----1----+----2 ... ]".
_RULER_CHARS = frozenset("[]|-+0123456789 ")


def _is_title(line: str) -> bool:
    """A title or ruler line, by what one is: the ruler's own characters, or words (more letters than
    digits) that do not begin with a transaction code. A record damaged in its first positions ("O1"
    for "01") keeps a digit there and its many numeric fields, so it is never taken for a title: it
    fails as a record, naming its line and field."""
    stripped = line.strip()
    if stripped.startswith("[") and set(stripped) <= _RULER_CHARS:
        return True
    if any(char.isdigit() for char in line[:2]):
        return False
    letters = sum(char.isalpha() for char in line)
    digits = sum(char.isdigit() for char in line)
    return letters > digits


def _record_lines(data: bytes | str) -> list[_Line]:
    """Record lines padded to 80; leading title/ruler lines and blank lines dropped."""
    lines: list[_Line] = []
    started = False
    for number, line in _split_lines(data):
        if not line.strip():
            continue
        if not started:
            # Title lines ("Exempelfil ...") and the column ruler ("[---+----1") precede the
            # records in Bankgirot's example files; anything else is the first record.
            if _is_title(line):
                continue
            started = True
        # Bankgirot's BgMax example has a tab in a reserved field; read it as the blank it stands for.
        line = line.replace("\t", " ")
        if len(line) > 80:
            if line[80:].strip():
                raise AutogiroParseError(
                    number, "line", f"{len(line)} characters with data after position 80"
                )
            line = line[:80]
        if not (line[:2].isascii() and line[:2].isdigit()):
            raise AutogiroParseError(
                number, "transaction code (1-2)", f"expected two digits, got {line[:2]!r}"
            )
        if any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in line):
            raise AutogiroParseError(number, "line", "contains control characters")
        lines.append(_Line(number, line.ljust(80)))
    return lines


# --- Entry point ---------------------------------------------------------------------------------


def parse_file(data: bytes | str, *, seal_key: str | None = None) -> AutogiroFile:
    """Parse an Autogiro file (bytes are read as ISO-8859-1).

    With `seal_key`, a sealed request file's TK99 must match the key, or the parse fails.
    """
    lines = _record_lines(data)
    if not lines:
        raise AutogiroParseError(1, "file", "no records found")
    first = lines[0]
    if first.tk == "00" and first.raw(9, 12) == "HMAC":
        return _parse_sealed_request(data, lines, seal_key)
    if seal_key is not None:
        first.fail("seal opening record", "a seal key was given but the file has no TK00 seal record")
    if first.tk == "51":
        return _parse_digital_mandates(lines)
    if first.tk == "01":
        if first.raw(3, 22).rstrip() == "AUTOGIRO":
            content = first.text_field(45, 64)
            parser = _REPORT_PARSERS.get(content)
            if parser is None:
                first.fail("content (45-64)", f"unknown report {content!r}")
            return parser(lines)
        if first.raw(3, 22).rstrip() == "BGMAX":
            return _parse_bgmax(lines)
        if first.raw(11, 18) == "AUTOGIRO":
            if first.raw(19, 35) == "9900BEVAKNINGSREG":
                return _parse_monitoring_register(lines)
            if first.raw(19, 22) == "9900":
                first.fail(
                    "content (23-62)",
                    f"old-layout report {first.text_field(23, 62)!r}: ask for the new layout",
                )
            return _parse_request(lines)
        first.fail("opening record", "not an Autogiro opening record")
    if _is_digits(first.raw(1, 39)):
        return _parse_mandate_register(lines)
    first.fail("opening record", "the file does not start with TK01, TK51 or a mandate-register record")


def _check_total(line: _Line, field: str, written: int, counted: int) -> None:
    if written != counted:
        line.fail(field, f"control total says {written}, the records give {counted}")


def _report_opening(line: _Line, expected_content: str) -> ReportOpening:
    line.expect(3, 22, "AUTOGIRO", "layout")
    line.expect(45, 64, expected_content, "content")
    return ReportOpening(
        write_date=line.date(25, 32, "write date"),
        content=expected_content,
        customer_number=line.digits(65, 70, "customer number").lstrip("0"),
        payee_bankgiro=line.bankgiro(71, 80),
    )


def _sections(lines: list[_Line], opening_tk: str, closing_tk: str) -> list[tuple[_Line, list[_Line], _Line]]:
    """Split report lines into (opening, body, closing) sections."""
    sections: list[tuple[_Line, list[_Line], _Line]] = []
    index = 0
    while index < len(lines):
        opening = lines[index]
        if opening.tk != opening_tk:
            opening.fail("transaction code", f"expected the opening record TK{opening_tk} of a new section")
        body: list[_Line] = []
        index += 1
        while index < len(lines) and lines[index].tk not in (closing_tk, opening_tk):
            body.append(lines[index])
            index += 1
        if index >= len(lines) or lines[index].tk != closing_tk:
            where = lines[index] if index < len(lines) else lines[-1]
            where.fail(
                "transaction code", f"the section opened on line {opening.no} has no closing TK{closing_tk}"
            )
        sections.append((opening, body, lines[index]))
        index += 1
    return sections


# --- Request files -------------------------------------------------------------------------------


def _parse_sealed_request(data: bytes | str, lines: list[_Line], seal_key: str | None) -> RequestFile:
    opening, closing = lines[0], lines[-1]
    if closing.tk != "99":
        closing.fail("transaction code", "a sealed file ends with the seal record TK99")
    stamp = opening.raw(3, 8)
    write_date = None
    if stamp.isdigit():
        try:
            write_date = date(2000 + int(stamp[:2]), int(stamp[2:4]), int(stamp[4:6]))
        except ValueError:
            write_date = None
    seal = SealInfo(
        write_date=write_date, key_verification_value=closing.raw(9, 40), seal=closing.raw(41, 72)
    )
    if seal_key is not None:
        raw = data.encode("latin-1", errors="replace") if isinstance(data, str) else data
        try:
            check = verify_sealed_file(raw, seal_key)
        except SealError as error:
            raise AutogiroParseError(closing.no, error.field, error.reason) from None
        if not check.kvv_ok:
            closing.fail("key verification value (9-40)", "does not match the seal key")
        if not check.seal_ok:
            closing.fail("seal (41-72)", "does not match the file: it was changed or sealed with another key")
    inner = _parse_request(lines[1:-1])
    return RequestFile(sections=inner.sections, seal=seal)


def _parse_request(lines: list[_Line]) -> RequestFile:
    if not lines:
        raise AutogiroParseError(1, "file", "no records between the seal records")
    sections: list[RequestSection] = []
    opening: RequestOpening | None = None
    records: list[RequestRecord] = []
    for line in lines:
        if line.tk == "01":
            if opening is not None:
                sections.append(RequestSection(opening, tuple(records)))
            line.expect(11, 18, "AUTOGIRO", "layout")
            opening = RequestOpening(
                write_date=line.date(3, 10, "write date"),
                customer_number=line.digits(63, 68, "customer number").lstrip("0"),
                payee_bankgiro=line.bankgiro(69, 78),
            )
            records = []
            continue
        if opening is None:
            line.fail("transaction code", "a request section starts with TK01")
        parse = _REQUEST_PARSERS.get(line.tk)
        if parse is None:
            line.fail("transaction code", "not a request record")
        if line.tk not in ("82", "32"):
            bankgiro = line.bankgiro(3, 12)
            if bankgiro != opening.payee_bankgiro:
                line.fail("payee bankgiro (3-12)", f"{bankgiro} differs from TK01's {opening.payee_bankgiro}")
        records.append(parse(line, opening))
    assert opening is not None  # lines is non-empty and the first line opened a section
    sections.append(RequestSection(opening, tuple(records)))
    return RequestFile(sections=tuple(sections))


def _request_03(line: _Line, opening: RequestOpening) -> RequestRecord:
    return CancelMandate(payer_number=line.payer(13, 28))


def _request_04(line: _Line, opening: RequestOpening) -> RequestRecord:
    payer = line.payer(13, 28)
    account = line.account(29, 44)
    identity = line.identity(45, 56)
    flag = line.raw(77, 78)
    if flag == "AV":
        return RejectDigitalMandate(payer_number=payer, account=account, identity=identity)
    if flag.strip():
        line.fail("answer (77-78)", f"expected blank or 'AV', got {flag!r}")
    return CreateMandate(payer_number=payer, account=account, identity=identity)


def _request_05(line: _Line, opening: RequestOpening) -> RequestRecord:
    if line.bankgiro(29, 38) != opening.payee_bankgiro:
        line.fail("payee bankgiro (29-38)", "must repeat the payee bankgiro of positions 3-12")
    return ChangePayerNumber(old_payer_number=line.payer(13, 28), new_payer_number=line.payer(39, 54))


def _request_payment(line: _Line, opening: RequestOpening) -> RequestRecord:
    when = line.raw(3, 10)
    payment_date = None if when == "GENAST  " else line.date(3, 10, "payment date")
    code = line.number(11, 11, "period code")
    if code > 8:
        line.fail("period code (11)", f"expected 0-8, got {code}")
    period = PeriodCode(code)
    repetitions = line.optional_number(12, 14, "repetitions")
    if payment_date is None and period is not PeriodCode.ONCE:
        line.fail("period code (11)", "GENAST is allowed only with period code 0")
    bankgiro = line.bankgiro(44, 53)
    if bankgiro != opening.payee_bankgiro:
        line.fail("payee bankgiro (44-53)", f"{bankgiro} differs from TK01's {opening.payee_bankgiro}")
    return PaymentOrder(
        direction=line.direction(),
        payment_date=payment_date,
        payer_number=line.payer(16, 31),
        amount_ore=line.number(32, 43, "amount"),
        reference=line.text_field(54, 69),
        period_code=period,
        repetitions=repetitions,
    )


def _direction_field(line: _Line, start: int, end: int) -> Direction:
    value = line.raw(start, end)
    if value not in ("82", "32"):
        line.fail(f"direction ({start}-{end})", f"expected 82 or 32, got {value!r}")
    return Direction(value)


def _request_amendment(line: _Line, opening: RequestOpening) -> RequestRecord:
    tk = line.tk
    if tk == "26":
        return MoveAllPayments(new_date=line.date(51, 58, "new date"))
    if tk == "27":
        return MovePaymentsFromDate(
            payment_date=line.date(29, 36, "payment date"), new_date=line.date(51, 58, "new date")
        )
    payer = line.payer(13, 28)
    if tk == "23":
        return CancelAllPayments(payer_number=payer)
    payment_date = line.date(29, 36, "payment date")
    if tk == "24":
        return CancelPaymentsOnDate(payer_number=payer, payment_date=payment_date)
    if tk == "28":
        return MovePayerPayments(
            payer_number=payer, payment_date=payment_date, new_date=line.date(51, 58, "new date")
        )
    amount = line.number(37, 48, "amount")
    direction = _direction_field(line, 49, 50)
    reference = line.text_field(59, 74)
    if tk == "25":
        return CancelPayment(payer, payment_date, amount, direction, reference)
    return MovePayment(payer, payment_date, amount, direction, line.date(51, 58, "new date"), reference)


_REQUEST_PARSERS: dict[str, Callable[[_Line, RequestOpening], RequestRecord]] = {
    "03": _request_03,
    "04": _request_04,
    "05": _request_05,
    "82": _request_payment,
    "32": _request_payment,
    **{tk: _request_amendment for tk in ("23", "24", "25", "26", "27", "28", "29")},
}


# --- Payment specification (§8.2) ----------------------------------------------------------------


def _timestamp(line: _Line) -> datetime:
    """Positions 25-44: YYYYMMDDHHMMSS and microseconds, Swedish time."""
    stamp = line.digits(25, 44, "timestamp")
    try:
        return datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
            microsecond=int(stamp[14:]), tzinfo=STOCKHOLM
        )
    except ValueError:
        line.fail("timestamp (25-44)", f"{stamp!r} is not a date and time")


def _payment_spec_opening(line: _Line) -> ReportOpening:
    line.expect(3, 22, "AUTOGIRO", "layout")
    line.expect(45, 64, "BET. SPEC & STOPP TK", "content")
    timestamp = _timestamp(line)
    return ReportOpening(
        write_date=timestamp.date(),
        content="BET. SPEC & STOPP TK",
        customer_number=line.digits(65, 70, "customer number").lstrip("0"),
        payee_bankgiro=line.bankgiro(71, 80),
        timestamp=timestamp,
    )


def _optional_period(line: _Line) -> int | None:
    return line.optional_number(11, 11, "period code")


def _payment_result(line: _Line) -> PaymentResult:
    status_text = line.raw(80, 80)
    if status_text == " ":
        status = PaymentStatus.APPROVED  # the old layout's "approved"; tolerated
    else:
        try:
            status = PaymentStatus(status_text)
        except ValueError:
            line.fail("status (80)", f"expected 0, 1, 2 or 9, got {status_text!r}")
    return PaymentResult(
        direction=line.direction(),
        payment_date=line.date(3, 10, "payment date"),
        period_code=_optional_period(line),
        repetitions=line.optional_number(12, 14, "repetitions"),
        payer_number=line.payer(16, 31),
        amount_ore=line.number(32, 43, "amount"),
        payee_bankgiro=line.bankgiro(44, 53),
        reference=line.text_field(54, 69),
        status=status,
    )


def _refund(line: _Line) -> Refund:
    return Refund(
        original_payment_date=line.date(3, 10, "original payment date"),
        period_code=_optional_period(line),
        repetitions=line.optional_number(12, 14, "repetitions"),
        payer_number=line.payer(16, 31),
        amount_ore=line.number(32, 43, "amount"),
        payee_bankgiro=line.bankgiro(44, 53),
        reference=line.text_field(54, 69),
        refund_date=line.date(70, 77, "refund date"),
        reason_code=line.digits(78, 79, "refund reason code"),
    )


_BLOCK_CHILD = {"15": "82", "16": "32", "17": "77"}


def _close_block(header: _Line, payments: list[PaymentResult], refunds: list[Refund]) -> PaymentBlock:
    kind = BlockKind(header.tk)
    total = header.number(51, 68, "total amount")
    approved_count = header.number(72, 79, "approved count")
    if kind is BlockKind.REFUND:
        if len(refunds) != 1:
            header.fail("refund block", f"a TK17 is followed by exactly one TK77, found {len(refunds)}")
        _check_total(header, "total amount (51-68)", total, refunds[0].amount_ore)
        _check_total(header, "approved count (72-79)", approved_count, 1)
    else:
        if not payments:
            header.fail("block", f"TK{header.tk} is followed by no TK{_BLOCK_CHILD[header.tk]}")
        approved = [p for p in payments if p.status is PaymentStatus.APPROVED]
        _check_total(header, "total amount (51-68)", total, sum(p.amount_ore for p in approved))
        _check_total(header, "approved count (72-79)", approved_count, len(approved))
    return PaymentBlock(
        kind=kind,
        bank_account=header.digits(3, 37, "bank account").lstrip("0"),
        payment_date=header.date(38, 45, "payment date"),
        serial_number=header.number(46, 50, "serial number"),
        total_ore=total,
        approved_count=approved_count,
        payments=tuple(payments),
        refunds=tuple(refunds),
    )


def _parse_payment_specification(lines: list[_Line]) -> PaymentSpecificationFile:
    sections: list[PaymentSpecificationSection] = []
    for opening_line, body, closing in _sections(lines, "01", "09"):
        opening = _payment_spec_opening(opening_line)
        blocks: list[PaymentBlock] = []
        header: _Line | None = None
        payments: list[PaymentResult] = []
        refunds: list[Refund] = []
        for line in body:
            if line.tk in _BLOCK_CHILD:
                if header is not None:
                    blocks.append(_close_block(header, payments, refunds))
                header, payments, refunds = line, [], []
            elif header is None or _BLOCK_CHILD[header.tk] != line.tk:
                expected = "a TK15, TK16 or TK17 block" if header is None else f"TK{_BLOCK_CHILD[header.tk]}"
                line.fail("transaction code", f"unexpected here; expected {expected}")
            elif line.tk == "77":
                refunds.append(_refund(line))
            else:
                payments.append(_payment_result(line))
        if header is not None:
            blocks.append(_close_block(header, payments, refunds))
        if not blocks:
            closing.fail("section", "a payment specification section has at least one block")
        closing.expect(11, 14, "9900", "clearing number")
        totals = PaymentSpecificationTotals(
            write_date=closing.date(3, 10, "write date"),
            deposit_records=closing.number(15, 20, "deposit records"),
            executed_incoming=closing.number(21, 32, "executed incoming payments"),
            withdrawal_records=closing.number(33, 38, "withdrawal records"),
            executed_outgoing=closing.number(39, 50, "executed outgoing payments"),
            refund_records=closing.number(51, 56, "refund withdrawal records"),
            refunds=closing.number(57, 68, "refund records"),
        )

        def count(kind: BlockKind, blocks: list[PaymentBlock] = blocks) -> int:
            return sum(1 for b in blocks if b.kind is kind)

        def executed(kind: BlockKind, blocks: list[PaymentBlock] = blocks) -> int:
            return sum(b.approved_count for b in blocks if b.kind is kind)

        _check_total(closing, "deposit records (15-20)", totals.deposit_records, count(BlockKind.DEPOSIT))
        _check_total(
            closing, "executed incoming (21-32)", totals.executed_incoming, executed(BlockKind.DEPOSIT)
        )
        _check_total(
            closing, "withdrawal records (33-38)", totals.withdrawal_records, count(BlockKind.WITHDRAWAL)
        )
        _check_total(
            closing, "executed outgoing (39-50)", totals.executed_outgoing, executed(BlockKind.WITHDRAWAL)
        )
        _check_total(
            closing, "refund withdrawal records (51-56)", totals.refund_records, count(BlockKind.REFUND)
        )
        _check_total(closing, "refund records (57-68)", totals.refunds, sum(len(b.refunds) for b in blocks))
        sections.append(PaymentSpecificationSection(opening, tuple(blocks), totals))
    return PaymentSpecificationFile(sections=tuple(sections))


# --- Mandate notification (§8.3) -----------------------------------------------------------------


def _mandate_notice(line: _Line) -> MandateNotice:
    if line.tk != "73":
        line.fail("transaction code", "a mandate notification holds TK73 records")
    comment = line.raw(64, 65)
    valid_from = None
    stamp = line.raw(74, 79)
    if stamp.strip() and stamp.isdigit():
        try:
            valid_from = date(2000 + int(stamp[:2]), int(stamp[2:4]), int(stamp[4:6]))
        except ValueError:
            valid_from = None
    return MandateNotice(
        payee_bankgiro=line.bankgiro(3, 12),
        payer_number=line.payer(13, 28),
        account=line.account(29, 44),
        identity=line.identity(45, 56),
        information_code=line.digits(62, 63, "information code"),
        comment_code=None if not comment.strip() else line.digits(64, 65, "comment code"),
        action_date=line.date(66, 73, "action date"),
        valid_from=valid_from,
    )


def _parse_mandate_notification(lines: list[_Line]) -> MandateNotificationFile:
    sections: list[MandateNotificationSection] = []
    for opening_line, body, closing in _sections(lines, "01", "09"):
        opening = _report_opening(opening_line, "AG-MEDAVI")
        notices = tuple(_mandate_notice(line) for line in body)
        closing.date(3, 10, "write date")
        closing.expect(11, 14, "9900", "clearing number")
        count = closing.number(15, 21, "record count")
        _check_total(closing, "record count (15-21)", count, len(notices))
        sections.append(MandateNotificationSection(opening, notices, count))
    return MandateNotificationFile(sections=tuple(sections))


# --- Rejected payments (§8.4) --------------------------------------------------------------------


def _rejected_payment(line: _Line) -> RejectedPayment:
    if line.tk not in ("82", "32"):
        line.fail("transaction code", "the rejected-payments report holds TK82 and TK32 records")
    amount_text = line.raw(31, 42)
    return RejectedPayment(
        direction=line.direction(),
        payment_date=line.lenient_date(3, 10),
        payment_date_text=line.raw(3, 10).strip(),
        period_code=line.raw(11, 11).strip(),
        repetitions=line.raw(12, 14).strip(),
        payer_number=line.payer(15, 30),
        # Comment code 08 says the amount was not numeric; keep the record, without an amount.
        amount_ore=int(amount_text) if amount_text.isascii() and amount_text.isdigit() else None,
        reference=line.text_field(43, 58),
        comment_code=line.digits(59, 60, "comment code"),
    )


def _parse_rejected_payments(lines: list[_Line]) -> RejectedPaymentsFile:
    sections: list[RejectedPaymentsSection] = []
    for opening_line, body, closing in _sections(lines, "01", "09"):
        opening = _report_opening(opening_line, "AVVISADE BET UPPDR")
        payments = tuple(_rejected_payment(line) for line in body)
        closing.expect(11, 14, "9900", "clearing number")
        totals = RejectedPaymentsTotals(
            write_date=closing.date(3, 10, "write date"),
            outgoing_count=closing.number(15, 20, "outgoing count"),
            outgoing_sum_ore=closing.number(21, 32, "outgoing sum"),
            incoming_count=closing.number(33, 38, "incoming count"),
            incoming_sum_ore=closing.number(39, 50, "incoming sum"),
        )
        checks = (
            (
                Direction.OUTGOING,
                "outgoing",
                "(15-20)",
                "(21-32)",
                totals.outgoing_count,
                totals.outgoing_sum_ore,
            ),
            (
                Direction.INCOMING,
                "incoming",
                "(33-38)",
                "(39-50)",
                totals.incoming_count,
                totals.incoming_sum_ore,
            ),
        )
        for direction, name, count_pos, sum_pos, written_count, written_sum in checks:
            count_field, sum_field = f"{name} count {count_pos}", f"{name} sum {sum_pos}"
            chosen = [p for p in payments if p.direction is direction]
            _check_total(closing, count_field, written_count, len(chosen))
            amounts = [p.amount_ore for p in chosen]
            if all(amount is not None for amount in amounts):
                _check_total(closing, sum_field, written_sum, sum(a for a in amounts if a is not None))
        sections.append(RejectedPaymentsSection(opening, payments, totals))
    return RejectedPaymentsFile(sections=tuple(sections))


# --- Amendment report (§8.5) ---------------------------------------------------------------------

_AMENDMENT_TKS = frozenset({"03", "11", "21", "22", "23", "24", "25", "26", "27", "28", "29"})


def _amendment_result(line: _Line) -> AmendmentResult:
    if line.tk not in _AMENDMENT_TKS:
        line.fail("transaction code", "not a cancellation or change record")
    direction_text = line.raw(27, 28)
    if direction_text in ("82", "32"):
        direction: Direction | None = Direction(direction_text)
    elif direction_text in ("00", "  "):
        direction = None
    else:
        line.fail("direction (27-28)", f"expected 82, 32 or 00, got {direction_text!r}")
    marker = line.raw(41, 48)
    reference: str | None = None
    payment_count: int | None = None
    if marker == "REFERENS":
        reference = line.text_field(57, 72)
    elif marker.strip():
        payment_count = line.number(41, 48, "text field")
    amount_text = line.raw(29, 40)
    return AmendmentResult(
        transaction_code=line.tk,
        payment_date=line.lenient_date(3, 10),
        payment_date_text=line.raw(3, 10).strip(),
        payer_number=line.optional_payer(11, 26),
        direction=direction,
        amount_ore=0 if not amount_text.strip() else line.number(29, 40, "amount"),
        reference=reference,
        payment_count=payment_count,
        new_date=line.lenient_date(49, 56),
        comment_code=line.digits(73, 74, "comment code"),
    )


def _signed_totals(closing: _Line) -> SignedTotals:
    closing.expect(11, 14, "9900", "clearing number")
    return SignedTotals(
        write_date=closing.date(3, 10, "write date"),
        outgoing_sum_ore=_signed_amount(closing, 29, 40, "outgoing sum"),
        outgoing_count=closing.number(41, 46, "outgoing count"),
        incoming_count=closing.number(47, 52, "incoming count"),
        incoming_sum_ore=_signed_amount(closing, 57, 68, "incoming sum"),
    )


def _check_signed_totals(
    closing: _Line, totals: SignedTotals, items: list[tuple[Direction | None, int]]
) -> None:
    # The sums are written negative in the amendment report and positive elsewhere; compare sizes.
    checks = (
        (
            Direction.OUTGOING,
            "outgoing",
            "(41-46)",
            "(29-40)",
            totals.outgoing_count,
            totals.outgoing_sum_ore,
        ),
        (
            Direction.INCOMING,
            "incoming",
            "(47-52)",
            "(57-68)",
            totals.incoming_count,
            totals.incoming_sum_ore,
        ),
    )
    for direction, name, count_pos, sum_pos, written_count, written_sum in checks:
        count_field, sum_field = f"{name} count {count_pos}", f"{name} sum {sum_pos}"
        amounts = [amount for item_direction, amount in items if item_direction is direction]
        _check_total(closing, count_field, written_count, len(amounts))
        _check_total(closing, sum_field, abs(written_sum), sum(amounts))


def _parse_amendment_report(lines: list[_Line]) -> AmendmentReportFile:
    sections: list[AmendmentReportSection] = []
    for opening_line, body, closing in _sections(lines, "01", "09"):
        opening = _report_opening(opening_line, "MAKULERING/ÄNDRING")
        results = tuple(_amendment_result(line) for line in body)
        totals = _signed_totals(closing)
        # The totals cover the records that were carried out (comment 12, 14 or 18).
        done = [(r.direction, r.amount_ore) for r in results if r.succeeded]
        _check_signed_totals(closing, totals, done)
        sections.append(AmendmentReportSection(opening, results, totals))
    return AmendmentReportFile(sections=tuple(sections))


# --- Internet-bank mandates (§8.6) ---------------------------------------------------------------


def _parse_digital_mandates(lines: list[_Line]) -> DigitalMandateFile:
    sections: list[DigitalMandateSection] = []
    for opening, body, closing in _sections(lines, "51", "59"):
        opening.expect(11, 14, "9900", "clearing number")
        opening.expect(25, 44, "AG-EMEDGIV", "content")
        write_date = opening.date(3, 10, "write date")
        payee_bankgiro = opening.bankgiro(15, 24)
        mandates: list[DigitalMandate] = []
        current: DigitalMandate | None = None
        for line in body:
            if line.tk == "52":
                if current is not None:
                    mandates.append(current)
                message_type = line.number(62, 62, "message type")
                if message_type > 2:
                    line.fail("message type (62)", f"expected 0, 1 or 2, got {message_type}")
                current = DigitalMandate(
                    payee_bankgiro=line.bankgiro(3, 12),
                    payer_number=line.payer(13, 28),
                    account=line.account(29, 44),
                    identity=line.identity(45, 56),
                    message_type=message_type,
                )
                continue
            if current is None:
                line.fail("transaction code", "details before the mandate record TK52")
            if line.tk == "53":
                current = _replace(current, information=line.text_field(3, 38))
            elif line.tk in ("54", "55"):
                extra = tuple(part for part in (line.text_field(3, 38), line.text_field(39, 74)) if part)
                current = _replace(current, address_lines=current.address_lines + extra)
            elif line.tk == "56":
                postcode = line.digits(3, 7, "postcode")
                current = _replace(
                    current, postcode=None if postcode == "00000" else postcode, city=line.text_field(8, 38)
                )
            else:
                line.fail("transaction code", "not an internet-bank mandate record")
        if current is not None:
            mandates.append(current)
        closing.expect(11, 14, "9900", "clearing number")
        closing.date(3, 10, "write date")
        count = closing.number(15, 21, "record count")
        _check_total(closing, "record count (15-21)", count, len(body))
        sections.append(DigitalMandateSection(write_date, payee_bankgiro, tuple(mandates), count))
    return DigitalMandateFile(sections=tuple(sections))


def _replace(mandate: DigitalMandate, **changes: Any) -> DigitalMandate:
    return replace(mandate, **changes)


# --- Monitoring-register extract (§8.7) ----------------------------------------------------------


def _future_payment(line: _Line) -> FuturePayment:
    if line.tk not in ("82", "32"):
        line.fail("transaction code", "the monitoring register holds TK82 and TK32 records")
    return FuturePayment(
        direction=line.direction(),
        payment_date=line.date(3, 10, "payment date"),
        period_code=_optional_period(line),
        repetitions=line.optional_number(12, 14, "repetitions"),
        payer_number=line.payer(16, 31),
        amount_ore=line.number(32, 43, "amount"),
        reference=line.text_field(54, 69),
    )


def _parse_monitoring_register(lines: list[_Line]) -> MonitoringRegisterFile:
    sections: list[MonitoringRegisterSection] = []
    for opening, body, closing in _sections(lines, "01", "09"):
        opening.expect(11, 35, "AUTOGIRO9900BEVAKNINGSREG", "content")
        payments = tuple(_future_payment(line) for line in body)
        totals = _signed_totals(closing)
        _check_signed_totals(closing, totals, [(p.direction, p.amount_ore) for p in payments])
        sections.append(
            MonitoringRegisterSection(
                write_date=opening.date(3, 10, "write date"),
                customer_number=opening.digits(63, 68, "customer number").lstrip("0"),
                payee_bankgiro=opening.bankgiro(69, 78),
                payments=payments,
                totals=totals,
            )
        )
    return MonitoringRegisterFile(sections=tuple(sections))


# --- Mandate-register extract (§8.8) -------------------------------------------------------------


def _register_entry(line: _Line) -> MandateRegisterEntry:
    mandate_type = line.number(39, 39, "mandate type")
    if mandate_type not in (1, 2):
        line.fail("mandate type (39)", f"expected 1 or 2, got {mandate_type}")
    status = line.number(58, 58, "status")
    if status not in (1, 2):
        line.fail("status (58)", f"expected 1 or 2, got {status}")
    changed_text = line.raw(50, 57)
    return MandateRegisterEntry(
        payee_bankgiro=line.bankgiro(1, 10),
        identity=line.identity(11, 22),
        payer_number=line.payer(23, 38),
        mandate_type=mandate_type,
        last_activity_year=line.number(40, 41, "last activity year"),
        created_on=line.lenient_date(42, 49),
        changed_on=None
        if not changed_text.strip() or changed_text.strip("0") == ""
        else line.date(50, 57, "changed date"),
        status=status,
        account=line.account(65, 80),
    )


def _parse_mandate_register(lines: list[_Line]) -> MandateRegisterFile:
    # These records have no transaction code: positions 1-2 start the payee bankgiro.
    named = [_Line(line.no, line.text, label="register record") for line in lines]
    return MandateRegisterFile(entries=tuple(_register_entry(line) for line in named))


# --- BgMax for Autogiro (§10) ---------------------------------------------------------------------


def _bgmax_payment(line: _Line) -> BgMaxPayment:
    payer_bankgiro = line.digits(3, 12, "payer bankgiro").lstrip("0") or None
    return BgMaxPayment(
        payer_bankgiro=payer_bankgiro,
        reference=line.text_field(13, 37),
        amount_ore=line.number(38, 55, "amount"),
        reference_code=line.text_field(56, 56),
        channel_code=line.text_field(57, 57),
    )


def _bgmax_deposit(line: _Line) -> BgMaxDeposit:
    # Positions 3-37 hold the account: clearing in 22-25, account in 26-37, zeros before.
    line.digits(3, 37, "bank account")
    return BgMaxDeposit(
        bank_account=line.account(22, 37),
        payment_date=line.date(38, 45, "payment date"),
        serial_number=line.number(46, 50, "serial number"),
        amount_ore=line.number(51, 68, "amount"),
        currency=line.text_field(69, 71),
        payment_count=line.number(72, 79, "payment count"),
    )


def _parse_bgmax(lines: list[_Line]) -> BgMaxFile:
    start, end = lines[0], lines[-1]
    if end.tk != "70" or len(lines) < 2:
        end.fail("transaction code", "a BgMax file ends with the closing record TK70")
    timestamp = _timestamp(start)
    marker = start.raw(45, 45)
    if marker not in ("T", "P"):
        start.fail("test marker (45)", f"expected T or P, got {marker!r}")
    sections: list[BgMaxSection] = []
    opening: _Line | None = None
    payments: list[BgMaxPayment] = []
    for line in lines[1:-1]:
        if line.tk == "05":
            if opening is not None:
                line.fail(
                    "transaction code", f"the section opened on line {opening.no} has no deposit record TK15"
                )
            opening, payments = line, []
        elif opening is None:
            line.fail("transaction code", "a BgMax section starts with TK05")
        elif line.tk == "20":
            payments.append(_bgmax_payment(line))
        elif line.tk in ("26", "27", "28", "29"):
            if not payments:
                line.fail("transaction code", "payer details before the payment record TK20")
            payments[-1] = _bgmax_details(line, payments[-1])
        elif line.tk == "15":
            deposit = _bgmax_deposit(line)
            _check_total(line, "amount (51-68)", deposit.amount_ore, sum(p.amount_ore for p in payments))
            _check_total(line, "payment count (72-79)", deposit.payment_count, len(payments))
            sections.append(
                BgMaxSection(opening.bankgiro(3, 12), opening.text_field(23, 25), tuple(payments), deposit)
            )
            opening = None
        # Other record types are not used for Autogiro; the manual asks readers to ignore them.
    if opening is not None:
        end.fail("transaction code", f"the section opened on line {opening.no} has no deposit record TK15")
    payment_count = end.number(3, 10, "payment count")
    deposit_count = end.number(27, 34, "deposit count")
    _check_total(end, "payment count (3-10)", payment_count, sum(len(s.payments) for s in sections))
    _check_total(end, "deposit count (27-34)", deposit_count, len(sections))
    return BgMaxFile(
        version=start.number(23, 24, "version"),
        timestamp=timestamp,
        test=marker == "T",
        sections=tuple(sections),
        payment_count=payment_count,
        deposit_count=deposit_count,
    )


def _bgmax_details(line: _Line, payment: BgMaxPayment) -> BgMaxPayment:
    if line.tk == "26":
        names = tuple(part for part in (line.text_field(3, 37), line.text_field(38, 72)) if part)
        return replace(payment, name_lines=payment.name_lines + names)
    if line.tk == "27":
        return replace(payment, address=line.text_field(3, 37), postcode=line.text_field(38, 46))
    if line.tk == "28":
        return replace(
            payment,
            city=line.text_field(3, 37),
            country=line.text_field(38, 72),
            country_code=line.text_field(73, 74),
        )
    return replace(payment, organisationsnummer=line.digits(3, 14, "organisationsnummer")[2:])


_REPORT_PARSERS: dict[str, Callable[[list[_Line]], AutogiroFile]] = {
    "BET. SPEC & STOPP TK": _parse_payment_specification,
    "AG-MEDAVI": _parse_mandate_notification,
    "AVVISADE BET UPPDR": _parse_rejected_payments,
    "MAKULERING/ÄNDRING": _parse_amendment_report,
}
