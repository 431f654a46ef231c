"""Reading request files (ours, to Bankgirot, manual §7), sealed (TK00/TK99) or not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from billing.domain.autogiro.parser.lines import AutogiroParseError, _Line, read_fields
from billing.domain.autogiro.records import (
    CancelMandate,
    ChangePayerNumber,
    CreateMandate,
    PaymentOrder,
    PeriodCode,
    RejectDigitalMandate,
    RequestFile,
    RequestOpening,
    RequestRecord,
    RequestSection,
    SealInfo,
)
from billing.domain.autogiro.records.common import MANDATE_FIELDS, PAYMENT_FIELDS
from billing.domain.autogiro.records.requests import AMENDMENT_TYPES, amendment_fields
from billing.domain.autogiro.seal import SealError, verify_sealed_file


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
    return CancelMandate(**read_fields(line, MANDATE_FIELDS[1:2]))


def _request_04(line: _Line, opening: RequestOpening) -> RequestRecord:
    values = read_fields(line, MANDATE_FIELDS[1:])  # the payee bankgiro is checked for every record
    flag = line.raw(77, 78)
    if flag == "AV":
        return RejectDigitalMandate(**values)
    if flag.strip():
        line.fail("answer (77-78)", f"expected blank or 'AV', got {flag!r}")
    return CreateMandate(**values)


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
    if payment_date is None and period is not PeriodCode.ONCE:
        line.fail("period code (11)", "GENAST is allowed only with period code 0")
    bankgiro = line.bankgiro(44, 53)
    if bankgiro != opening.payee_bankgiro:
        line.fail("payee bankgiro (44-53)", f"{bankgiro} differs from TK01's {opening.payee_bankgiro}")
    return PaymentOrder(
        direction=line.direction(),
        payment_date=payment_date,
        period_code=period,
        **read_fields(line, PAYMENT_FIELDS),
    )


def _request_amendment(line: _Line, opening: RequestOpening) -> RequestRecord:
    record_type = AMENDMENT_TYPES[line.tk]
    return record_type(**read_fields(line, amendment_fields(record_type)))


_REQUEST_PARSERS: dict[str, Callable[[_Line, RequestOpening], RequestRecord]] = {
    "03": _request_03,
    "04": _request_04,
    "05": _request_05,
    "82": _request_payment,
    "32": _request_payment,
    **dict.fromkeys(AMENDMENT_TYPES, _request_amendment),
}
