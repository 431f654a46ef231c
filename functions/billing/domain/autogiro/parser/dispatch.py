"""`parse_file`: which layout a file is, by its opening record, and the reader for it."""

from __future__ import annotations

from collections.abc import Callable

from billing.domain.autogiro.parser.amendment_report import _parse_amendment_report
from billing.domain.autogiro.parser.bgmax import _parse_bgmax
from billing.domain.autogiro.parser.digital_mandates import _parse_digital_mandates
from billing.domain.autogiro.parser.lines import AutogiroParseError, _is_digits, _Line, _record_lines
from billing.domain.autogiro.parser.mandate_notification import _parse_mandate_notification
from billing.domain.autogiro.parser.payment_specification import _parse_payment_specification
from billing.domain.autogiro.parser.registers import _parse_mandate_register, _parse_monitoring_register
from billing.domain.autogiro.parser.rejected_payments import _parse_rejected_payments
from billing.domain.autogiro.parser.requests import _parse_request, _parse_sealed_request
from billing.domain.autogiro.records import (
    AutogiroFile,
)


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


_REPORT_PARSERS: dict[str, Callable[[list[_Line]], AutogiroFile]] = {
    "BET. SPEC & STOPP TK": _parse_payment_specification,
    "AG-MEDAVI": _parse_mandate_notification,
    "AVVISADE BET UPPDR": _parse_rejected_payments,
    "MAKULERING/ÄNDRING": _parse_amendment_report,
}
