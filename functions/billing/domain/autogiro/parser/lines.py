"""Reading an Autogiro file's record lines: the parse error, 1-based field accessors, title and ruler
lines, sections, and the fields several layouts share (timestamps, period codes, control and signed
totals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from billing.domain.autogiro.bankdays import STOCKHOLM
from billing.domain.autogiro.records import (
    BankAccount,
    Direction,
    ReportOpening,
    SignedTotals,
)
from billing.domain.autogiro.records.common import PAYMENT_FIELDS, Field
from billing.domain.errors import LineError


class AutogiroParseError(LineError):
    """A file could not be read. `line_no` is 1-based in the file as given (title lines count)."""


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


def _timestamp(line: _Line) -> datetime:
    """Positions 25-44: YYYYMMDDHHMMSS and microseconds, Swedish time."""
    stamp = line.digits(25, 44, "timestamp")
    try:
        return datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
            microsecond=int(stamp[14:]), tzinfo=STOCKHOLM
        )
    except ValueError:
        line.fail("timestamp (25-44)", f"{stamp!r} is not a date and time")


def _optional_period(line: _Line) -> int | None:
    return line.optional_number(11, 11, "period code")


def _scheduled_payment_fields(line: _Line) -> dict[str, Any]:
    """The fields a TK82/TK32/TK77 of a report shares with the request it answers: the period code
    (11, optional here) and `PAYMENT_FIELDS`."""
    return {"period_code": _optional_period(line), **read_fields(line, PAYMENT_FIELDS)}


def read_fields(line: _Line, fields: Iterable[Field]) -> dict[str, Any]:
    """The values of a layout's fields, by attribute name: the one reader of every field table."""
    return {field.name: _read_field(line, field) for field in fields}


def _read_field(line: _Line, field: Field) -> Any:
    start, end, title = field.start, field.end, field.title
    if field.kind == "payer":
        return line.payer(start, end)
    if field.kind == "date":
        return line.date(start, end, title)
    if field.kind in ("number", "amount"):
        return line.number(start, end, title)
    if field.kind == "optional":
        return line.optional_number(start, end, title)
    if field.kind == "signed":
        return _signed_amount(line, start, end, title)
    if field.kind == "direction":
        value = line.raw(start, end)
        if value not in ("82", "32"):
            line.fail(f"direction ({start}-{end})", f"expected 82 or 32, got {value!r}")
        return Direction(value)
    if field.kind == "text":
        return line.text_field(start, end)
    if field.kind == "bankgiro":
        return line.bankgiro(start, end, title)
    if field.kind == "account":
        return line.account(start, end)
    if field.kind == "identity":
        return line.identity(start, end)
    raise ValueError(f"no reader for field kind {field.kind!r}")  # a layout table's own error


def _direction_totals(
    sum_kind: str, out_count: int, out_sum: int, in_count: int, in_sum: int
) -> tuple[Field, ...]:
    """The field table of a TK09 that counts and sums the outgoing and incoming payments: the write
    date (3-10), counts of 6 and sums of 12 positions where the layout puts them, in position order."""
    fields = (
        Field("outgoing_count", out_count, 6, "number"),
        Field("outgoing_sum_ore", out_sum, 12, sum_kind),
        Field("incoming_count", in_count, 6, "number"),
        Field("incoming_sum_ore", in_sum, 12, sum_kind),
    )
    return (Field("write_date", 3, 8, "date"), *sorted(fields, key=lambda field: field.start))


# TK09 of the amendment report and of the monitoring-register extract, after clearing number 9900.
_SIGNED_TOTALS = _direction_totals("signed", out_count=41, out_sum=29, in_count=47, in_sum=57)


def _signed_totals(closing: _Line) -> SignedTotals:
    closing.expect(11, 14, "9900", "clearing number")
    return SignedTotals(**read_fields(closing, _SIGNED_TOTALS))


def _check_signed_totals(
    closing: _Line, totals: SignedTotals, items: list[tuple[Direction | None, int]]
) -> None:
    # The sums are written negative in the amendment report and positive elsewhere; compare sizes.
    _check_direction_totals(closing, totals, _SIGNED_TOTALS, list(items))


def _check_direction_totals(
    closing: _Line, totals: object, fields: Iterable[Field], items: list[tuple[Direction | None, int | None]]
) -> None:
    """Compare a closing record's outgoing and incoming counts and sums, read by `fields`, with the
    records'. A sum is left unchecked when a record's amount could not be read."""
    by_name = {field.name: field for field in fields}
    for direction, name in ((Direction.OUTGOING, "outgoing"), (Direction.INCOMING, "incoming")):
        count, total = by_name[f"{name}_count"], by_name[f"{name}_sum_ore"]
        amounts = [amount for item_direction, amount in items if item_direction is direction]
        written_count, written_sum = getattr(totals, count.name), getattr(totals, total.name)
        _check_total(closing, f"{name} count ({count.start}-{count.end})", written_count, len(amounts))
        known = [amount for amount in amounts if amount is not None]
        if len(known) == len(amounts):
            _check_total(closing, f"{name} sum ({total.start}-{total.end})", abs(written_sum), sum(known))
