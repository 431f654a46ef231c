"""Reading the amendment report (manual §8.5), with its signed control totals."""

from __future__ import annotations

from billing.domain.autogiro.parser.lines import (
    _check_signed_totals,
    _Line,
    _report_opening,
    _sections,
    _signed_totals,
)
from billing.domain.autogiro.records import (
    AmendmentReportFile,
    AmendmentReportSection,
    AmendmentResult,
    Direction,
)

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
