"""Writes Autogiro request files (files to Bankgirot, manual §7) from typed records.

80 positions a line, ISO-8859-1, CRLF, no closing record; one TK01 per section. Every value is
checked before anything is written and a bad one raises `AutogiroWriteError` naming the record and
the field, so a file either comes out whole or not at all. Sealing is a separate step
(`seal.seal_file`) because the key lives outside the domain.

References are written left-aligned and blank-filled, the convention of Bankgirot's own examples
(field type A); reports may return them re-padded, see `records.same_reference`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from billing.domain.autogiro.records import (
    AmendmentRequest,
    BankAccount,
    CancelMandate,
    ChangePayerNumber,
    CreateMandate,
    MandateRequest,
    PaymentOrder,
    PeriodCode,
    RejectDigitalMandate,
    RequestFile,
    RequestOpening,
    RequestRecord,
    RequestSection,
)
from billing.domain.autogiro.records.common import MANDATE_FIELDS, PAYMENT_FIELDS, Field
from billing.domain.autogiro.records.requests import AMENDMENT_TYPES, amendment_fields
from billing.domain.autogiro.validation import (
    ValidationError,
    validate_bank_account,
    validate_bankgiro,
    validate_organisationsnummer,
    validate_payer_number,
    validate_personnummer,
)
from billing.domain.errors import FieldError

MAX_AMOUNT_ORE = 999_999_999_999  # the 12-digit amount field


class AutogiroWriteError(FieldError):
    """A request record cannot be written; `field` names the record and field, `reason` says why."""


class _Checker:
    """The per-file checks, with `check_digits` off only to re-write Bankgirot's fictitious examples."""

    def __init__(self, check_digits: bool) -> None:
        self.check_digits = check_digits

    def bankgiro(self, value: str, field: str) -> str:
        if self.check_digits:
            return _wrap(validate_bankgiro, value, field).rjust(10, "0")
        digits = value.lstrip("0")
        if not _ascii_digits(value) or not 1 <= len(digits) <= 10:
            raise AutogiroWriteError(field, f"a bankgiro number is up to 10 digits, got {value!r}")
        return digits.rjust(10, "0")

    def payer(self, value: str, field: str) -> str:
        return _wrap(validate_payer_number, value, field).rjust(16, "0")

    def account(self, account: BankAccount, field: str) -> str:
        if self.check_digits:
            account = _wrap2(validate_bank_account, account.clearing, account.number, field)
        if not (
            _ascii_digits(account.clearing)
            and len(account.clearing) == 4
            and _ascii_digits(account.number)
            and len(account.number) <= 12
        ):
            raise AutogiroWriteError(field, "an account is a 4-digit clearing number and up to 12 digits")
        return account.to_field()

    def identity(self, value: str, field: str) -> str:
        if not (_ascii_digits(value) and len(value) == 12):
            raise AutogiroWriteError(field, f"the identity field is 12 digits, got {value!r}")
        if self.check_digits:
            if value.startswith("00"):
                _wrap(validate_organisationsnummer, value[2:], field)
            else:
                _wrap(validate_personnummer, value, field)
        return value


def _wrap(check: Callable[[str, str], str], value: str, field: str) -> str:
    try:
        return check(value, field)
    except ValidationError as error:
        raise AutogiroWriteError(error.field, error.reason) from None


def _wrap2(check: Callable[[str, str, str], BankAccount], first: str, second: str, field: str) -> BankAccount:
    try:
        return check(first, second, field)
    except ValidationError as error:
        raise AutogiroWriteError(error.field, error.reason) from None


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _date(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _amount(value: int, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AutogiroWriteError(field, f"an amount is an integer number of öre, got {value!r}")
    if not 1 <= value <= MAX_AMOUNT_ORE:
        raise AutogiroWriteError(field, f"an amount is 1 to {MAX_AMOUNT_ORE} öre, got {value}")
    return str(value).rjust(12, "0")


def _reference(value: str, field: str) -> str:
    if len(value) > 16:
        raise AutogiroWriteError(field, f"a reference has at most 16 characters, got {len(value)}")
    for char in value:
        code = ord(char)
        if not (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF):
            raise AutogiroWriteError(field, f"{char!r} cannot be written in ISO-8859-1 text")
    if value != value.strip():
        raise AutogiroWriteError(field, "a reference may not start or end with a blank")
    return value.ljust(16)


def _opening_line(opening: RequestOpening, checker: _Checker) -> str:
    customer = opening.customer_number
    if not (_ascii_digits(customer) and 1 <= len(customer) <= 6):
        raise AutogiroWriteError(
            "TK01.customer_number", f"a customer number is up to 6 digits, got {customer!r}"
        )
    bankgiro = checker.bankgiro(opening.payee_bankgiro, "TK01.payee_bankgiro")
    return f"01{_date(opening.write_date)}AUTOGIRO{'':44}{customer.rjust(6, '0')}{bankgiro}  "


def _mandate_line(record: MandateRequest, bg: str, checker: _Checker) -> str:
    name = type(record).__name__
    if isinstance(record, CancelMandate):
        return _fields_line(record, bg, MANDATE_FIELDS[1:2], checker)
    if isinstance(record, ChangePayerNumber):
        old = checker.payer(record.old_payer_number, f"{name}.old_payer_number")
        new = checker.payer(record.new_payer_number, f"{name}.new_payer_number")
        if old == new:
            raise AutogiroWriteError(f"{name}.new_payer_number", "the new payer number equals the old one")
        return "05" + bg + old + bg + new
    if (record.account is None) != (record.identity is None):
        raise AutogiroWriteError(
            f"{name}.identity", "an account mandate needs both the account and the identity"
        )
    flag = "AV" if isinstance(record, RejectDigitalMandate) else "  "
    return _fields_line(record, bg, MANDATE_FIELDS[1:], checker).ljust(76) + flag


def _payment_line(record: PaymentOrder, bg: str, checker: _Checker) -> str:
    name = f"TK{record.direction.value}"
    if not isinstance(record.period_code, PeriodCode):
        raise AutogiroWriteError(f"{name}.period_code", f"not a period code: {record.period_code!r}")
    if record.payment_date is None:
        if record.period_code is not PeriodCode.ONCE:
            raise AutogiroWriteError(f"{name}.payment_date", "GENAST is allowed only with period code 0")
        when = "GENAST  "
    else:
        when = _date(record.payment_date)
    if record.repetitions is None:
        repetitions = "   "
    elif record.period_code is PeriodCode.ONCE:
        raise AutogiroWriteError(f"{name}.repetitions", "a one-off payment has no repetitions")
    elif not 1 <= record.repetitions <= 999:
        raise AutogiroWriteError(f"{name}.repetitions", f"repetitions are 1 to 999, got {record.repetitions}")
    else:
        repetitions = str(record.repetitions).rjust(3, "0")
    line = f"{record.direction.value}{when}{record.period_code.value}{repetitions} "
    # The payee bankgiro (44-53) stands between the amount and the reference.
    line = _place(line, record, name, PAYMENT_FIELDS[1:3], checker) + bg
    return _place(line, record, name, PAYMENT_FIELDS[3:], checker)


def _fields_line(
    record: AmendmentRequest | MandateRequest, bg: str, fields: Iterable[Field], checker: _Checker
) -> str:
    """The record's transaction code, the payee bankgiro, then its fields of a layout table."""
    return _place(record.tk + bg, record, type(record).__name__, fields, checker)


def _place(line: str, record: object, name: str, fields: Iterable[Field], checker: _Checker) -> str:
    """`line` with the record's fields of a layout table added at their positions; a field the record
    leaves empty (None) stays blank."""
    for field in fields:
        value = getattr(record, field.name)
        if value is not None:
            line = line.ljust(field.start - 1) + _field(value, field, checker, f"{name}.{field.name}")
    return line


def _field(value: Any, field: Field, checker: _Checker, label: str) -> str:
    if field.kind == "payer":
        return checker.payer(value, label)
    if field.kind == "account":
        return checker.account(value, label)
    if field.kind == "identity":
        return checker.identity(value, label)
    if field.kind == "date":
        return _date(value)
    if field.kind == "amount":
        return _amount(value, label)
    if field.kind == "direction":
        return str(value.value)
    if field.kind == "text":
        return _reference(value, label)
    raise ValueError(f"no writer for field kind {field.kind!r}")  # a layout table's own error


_MANDATE_TYPES = (CancelMandate, CreateMandate, RejectDigitalMandate, ChangePayerNumber)
_AMENDMENT_TYPES = tuple(AMENDMENT_TYPES.values())


def _category(record: RequestRecord) -> str:
    if isinstance(record, _MANDATE_TYPES):
        return "mandate"
    if isinstance(record, PaymentOrder):
        return "payment"
    if isinstance(record, _AMENDMENT_TYPES):
        return "amendment"
    raise AutogiroWriteError("record", f"not a request record: {type(record).__name__}")


def render_request_lines(file: RequestFile, *, check_digits: bool = True) -> list[str]:
    """The file's records as 80-character lines, without line ends."""
    if not file.sections:
        raise AutogiroWriteError("sections", "a request file needs at least one section")
    checker = _Checker(check_digits)
    lines: list[str] = []
    for number, section in enumerate(file.sections, start=1):
        lines.append(_opening_line(section.opening, checker))
        bg = checker.bankgiro(section.opening.payee_bankgiro, "TK01.payee_bankgiro")
        categories = {_category(record) for record in section.records}
        if len(categories) > 1:
            raise AutogiroWriteError(
                f"section {number}",
                f"mixes {', '.join(sorted(categories))} records; give each its own section",
            )
        for record in section.records:
            if isinstance(record, PaymentOrder):
                line = _payment_line(record, bg, checker)
            elif isinstance(record, _MANDATE_TYPES):
                line = _mandate_line(record, bg, checker)
            else:
                line = _fields_line(record, bg, amendment_fields(type(record)), checker)
            lines.append(line.ljust(80))
    for line in lines:
        # A programming error, not bad input: every layout above is exactly 80 positions.
        assert len(line) == 80, line
    return lines


def write_request_file(file: RequestFile, *, check_digits: bool = True) -> bytes:
    """The file as Bankgirot wants it: ISO-8859-1, CRLF after every line."""
    return "".join(line + "\r\n" for line in render_request_lines(file, check_digits=check_digits)).encode(
        "latin-1"
    )


def build_request_file(
    opening: RequestOpening,
    *,
    mandates: Iterable[MandateRequest] = (),
    amendments: Iterable[AmendmentRequest] = (),
    payments: Iterable[PaymentOrder] = (),
) -> RequestFile:
    """One section per kind that has records, in the order Bankgirot should process them:
    mandates, then cancellations and date changes, then payment orders."""
    groups: Sequence[tuple[RequestRecord, ...]] = (tuple(mandates), tuple(amendments), tuple(payments))
    sections = tuple(RequestSection(opening, records) for records in groups if records)
    return RequestFile(sections=sections)
