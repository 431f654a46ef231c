"""Reading BgMax for Autogiro (manual §10): deposits and their payments."""

from __future__ import annotations

from dataclasses import replace

from billing.domain.autogiro.parser.lines import (
    _check_total,
    _Line,
    _timestamp,
)
from billing.domain.autogiro.records import (
    BgMaxDeposit,
    BgMaxFile,
    BgMaxPayment,
    BgMaxSection,
)


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
