"""Reading the rejected payments report (manual §8.4)."""

from __future__ import annotations

from billing.domain.autogiro.parser.lines import (
    _check_direction_totals,
    _direction_totals,
    _Line,
    _report_opening,
    _sections,
    read_fields,
)
from billing.domain.autogiro.records import (
    RejectedPayment,
    RejectedPaymentsFile,
    RejectedPaymentsSection,
    RejectedPaymentsTotals,
)


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


# TK09 of the rejected-payments report, after clearing number 9900: the sums are unsigned.
_TOTALS = _direction_totals("number", out_count=15, out_sum=21, in_count=33, in_sum=39)


def _parse_rejected_payments(lines: list[_Line]) -> RejectedPaymentsFile:
    sections: list[RejectedPaymentsSection] = []
    for opening_line, body, closing in _sections(lines, "01", "09"):
        opening = _report_opening(opening_line, "AVVISADE BET UPPDR")
        payments = tuple(_rejected_payment(line) for line in body)
        closing.expect(11, 14, "9900", "clearing number")
        totals = RejectedPaymentsTotals(**read_fields(closing, _TOTALS))
        _check_direction_totals(closing, totals, _TOTALS, [(p.direction, p.amount_ore) for p in payments])
        sections.append(RejectedPaymentsSection(opening, payments, totals))
    return RejectedPaymentsFile(sections=tuple(sections))
