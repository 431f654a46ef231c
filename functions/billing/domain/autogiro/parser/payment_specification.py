"""Reading the payment specification report (manual §8.2): payments, refunds and their blocks."""

from __future__ import annotations

from billing.domain.autogiro.parser.lines import (
    _check_total,
    _Line,
    _scheduled_payment_fields,
    _sections,
    _timestamp,
    read_fields,
)
from billing.domain.autogiro.records import (
    BlockKind,
    PaymentBlock,
    PaymentResult,
    PaymentSpecificationFile,
    PaymentSpecificationSection,
    PaymentSpecificationTotals,
    PaymentStatus,
    Refund,
    ReportOpening,
)
from billing.domain.autogiro.records.common import Field


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
        **_scheduled_payment_fields(line),
        payee_bankgiro=line.bankgiro(44, 53),
        status=status,
    )


def _refund(line: _Line) -> Refund:
    return Refund(
        original_payment_date=line.date(3, 10, "original payment date"),
        **_scheduled_payment_fields(line),
        payee_bankgiro=line.bankgiro(44, 53),
        refund_date=line.date(70, 77, "refund date"),
        reason_code=line.digits(78, 79, "refund reason code"),
    )


# TK09 of the payment specification, after clearing number 9900.
_TOTALS = (
    Field("write_date", 3, 8, "date"),
    Field("deposit_records", 15, 6, "number"),
    Field("executed_incoming", 21, 12, "number", "executed incoming payments"),
    Field("withdrawal_records", 33, 6, "number"),
    Field("executed_outgoing", 39, 12, "number", "executed outgoing payments"),
    Field("refund_records", 51, 6, "number", "refund withdrawal records"),
    Field("refunds", 57, 12, "number", "refund records"),
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
        totals = PaymentSpecificationTotals(**read_fields(closing, _TOTALS))

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
