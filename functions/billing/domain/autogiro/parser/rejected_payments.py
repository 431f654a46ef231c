"""Reading the rejected payments report (manual §8.4)."""

from __future__ import annotations

from billing.domain.autogiro.parser.lines import _check_total, _Line, _report_opening, _sections
from billing.domain.autogiro.records import (
    Direction,
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
