"""Reading the mandate notification report, AG-MEDAVI (manual §8.3)."""

from __future__ import annotations

from datetime import date

from billing.domain.autogiro.parser.lines import _check_total, _Line, _report_opening, _sections, read_fields
from billing.domain.autogiro.records import (
    MandateNotice,
    MandateNotificationFile,
    MandateNotificationSection,
)
from billing.domain.autogiro.records.common import MANDATE_FIELDS


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
        **read_fields(line, MANDATE_FIELDS),
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
