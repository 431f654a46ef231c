"""Writes BgMax files, for test data and the demo only: Bankgirot writes the real ones.

`write_bgmax(file)` lays the records of `records.py` out as Bankgirot does (80 positions, ISO-8859-1,
CRLF) and computes every total itself: TK15's payment count and amount (payments less deductions)
and TK70's counts, so a written file always parses back to the records it was given.
`payment(...)` and `deposit(...)` are short builders for tests and the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from billing.domain.bgmax.records import (
    DEDUCTION,
    PAYMENT,
    BankAccount,
    BgMaxFile,
    Deposit,
    ExtraReference,
    Payer,
    Payment,
)
from billing.domain.errors import FieldError


class BgMaxWriteError(FieldError):
    """A record cannot be written: `field` names it."""


def _num(value: int | str, width: int, field: str) -> str:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise BgMaxWriteError(field, f"{text!r} does not fit {width} digits")
    return text.rjust(width, "0")


def _text(value: str | None, width: int, field: str, *, right: bool = False) -> str:
    text = value or ""
    if len(text) > width:
        raise BgMaxWriteError(field, f"{text!r} is longer than {width} positions")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise BgMaxWriteError(field, f"{text!r} is not ISO-8859-1") from None
    return text.rjust(width) if right else text.ljust(width)


def _record(*parts: str) -> str:
    line = "".join(parts)
    if len(line) > 80:
        raise BgMaxWriteError("record", f"{len(line)} positions")
    return line.ljust(80)


def _reference(reference: str, code: str) -> str:
    # OCR-checked references (code 2) are right-aligned, free ones left-aligned (FORMAT.md §2.3).
    return _text(reference, 25, "reference", right=code == "2")


def _payment_line(p: Payment | ExtraReference, tk: str, payer_raw: str, tail: str = "") -> str:
    return _record(
        tk,
        _text(payer_raw, 10, "payer bankgiro"),
        _reference(p.reference, p.reference_code),
        _num(p.amount, 18, "amount"),
        _num(p.reference_code, 1, "reference code"),
        _num(p.channel, 1, "channel"),
        _text(p.bgc_serial, 12, "BGC serial number"),
        _text(p.image_marker, 1, "image marker"),
        tail,
    )


def _payment_lines(p: Payment) -> list[str]:
    payer = p.payer
    raw = payer.bankgiro_raw or _num(payer.bankgiro or "0", 10, "payer bankgiro")
    lines = [_payment_line(p, p.tk, raw, _text(p.deduction_code, 1, "deduction code") if p.deduction else "")]
    for x in p.extra_references:
        lines.append(_payment_line(x, x.tk, x.payer_bankgiro_raw or raw))
    for text in p.information:
        lines.append(_record("25", _text(text, 50, "information")))
    if payer.name or payer.extra_name:
        lines.append(_record("26", _text(payer.name, 35, "name"), _text(payer.extra_name, 35, "extra name")))
    if payer.address or payer.postcode or payer.town or payer.country:
        lines.append(_record("27", _text(payer.address, 35, "address"), _text(payer.postcode, 9, "postcode")))
        lines.append(
            _record(
                "28",
                _text(payer.town, 35, "town"),
                _text(payer.country, 35, "country"),
                _text(payer.country_code, 2, "country code"),
            )
        )
    org = payer.organisation_number_raw or (
        _num(payer.organisation_number, 12, "organisation number") if payer.organisation_number else None
    )
    if org:
        lines.append(_record("29", _text(org, 12, "organisation number")))
    return lines


def write_bgmax(file: BgMaxFile) -> bytes:
    """The file's bytes: ISO-8859-1, CRLF after every record, totals computed from the records."""
    stamp = file.timestamp or file.written_at.strftime("%Y%m%d%H%M%S%f")
    lines = [
        _record(
            "01", _text("BGMAX", 20, "layout"), "01", _num(stamp, 20, "time stamp"), "T" if file.test else "P"
        )
    ]
    extra_count = 0
    for d in file.deposits:
        if not d.payments:
            raise BgMaxWriteError("payments", f"deposit {d.serial} has no payment")
        plusgiro = _num(d.payee_plusgiro, 10, "payee PlusGiro") if d.payee_plusgiro else ""
        lines.append(
            _record(
                "05",
                _num(d.payee_bankgiro, 10, "payee bankgiro"),
                _text(plusgiro, 10, "PlusGiro"),
                _text(d.currency, 3, "currency"),
            )
        )
        for p in d.payments:
            lines.extend(_payment_lines(p))
            extra_count += len(p.extra_references)
        amount = sum(p.signed_amount for p in d.payments)
        if amount < 0:
            raise BgMaxWriteError("amount", f"deposit {d.serial}: deductions exceed the payments")
        lines.append(
            _record(
                "15",
                _num(
                    d.account.raw or (d.account.clearing + d.account.number.rjust(12, "0")),
                    35,
                    "bank account",
                ),
                d.payment_date.strftime("%Y%m%d"),
                _num(d.serial, 5, "deposit serial"),
                _num(amount, 18, "deposit amount"),
                _text(d.currency, 3, "currency"),
                _num(len(d.payments), 8, "number of payments"),
                _text(d.deposit_type, 1, "deposit type"),
            )
        )
    payments = [p for d in file.deposits for p in d.payments]
    lines.append(
        _record(
            "70",
            _num(sum(1 for p in payments if p.tk == PAYMENT), 8, "payments"),
            _num(sum(1 for p in payments if p.tk == DEDUCTION), 8, "deductions"),
            _num(extra_count, 8, "extra references"),
            _num(len(file.deposits), 8, "deposits"),
        )
    )
    return "".join(line + "\r\n" for line in lines).encode("latin-1")


# --- Builders for tests and the demo --------------------------------------------------------------


def payment(
    amount: int,
    reference: str = "",
    *,
    code: str | None = None,
    channel: str = "1",
    serial: str = "000000000001",
    deduction: bool = False,
    deduction_code: str = "0",
    extra: Sequence[tuple[str, int] | tuple[str, int, str] | tuple[str, int, str, bool]] = (),
    payer_bankgiro: str | None = None,
    name: str | None = None,
    message: Sequence[str] = (),
    organisation_number: str | None = None,
) -> Payment:
    """A TK20 (or TK21 with `deduction`). `code` defaults to 2 (OCR) with a reference, else 0.
    `extra`: (reference, amount[, code[, credit]]) as TK22, or TK23 when credit is true."""
    ref_code = code if code is not None else ("2" if reference else "0")
    raw = _num(payer_bankgiro or "0", 10, "payer bankgiro")
    extras = tuple(
        ExtraReference(
            tk="23" if len(x) > 3 and x[3] else "22",
            reference=x[0],
            amount=x[1],
            reference_code=x[2] if len(x) > 2 else "2",
            channel=channel,
            payer_bankgiro_raw=raw,
            bgc_serial=serial,
            image_marker="0",
        )
        for x in extra
    )
    return Payment(
        tk=DEDUCTION if deduction else PAYMENT,
        reference=reference,
        amount=amount,
        reference_code=ref_code,
        channel=channel,
        bgc_serial=serial,
        image_marker="0",
        deduction_code=deduction_code if deduction else None,
        payer=Payer(
            bankgiro=(payer_bankgiro or "").lstrip("0") or None,
            bankgiro_raw=raw,
            name=name,
            organisation_number=organisation_number,
            organisation_number_raw=_num(organisation_number, 12, "organisation number")
            if organisation_number
            else None,
        ),
        extra_references=extras,
        information=tuple(message),
    )


def deposit(
    payee_bankgiro: str,
    payments: Sequence[Payment],
    *,
    on: date,
    serial: int,
    clearing: str = "5841",
    account: str = "1009823",
) -> Deposit:
    """One section, its TK15 amount computed from `payments`."""
    number = account.lstrip("0")
    raw = clearing.rjust(23, "0") + number.rjust(12, "0")
    return Deposit(
        payee_bankgiro="".join(ch for ch in payee_bankgiro if ch.isdigit()).lstrip("0"),
        payments=tuple(payments),
        account=BankAccount(clearing=clearing, number=number, raw=raw),
        payment_date=on,
        serial=f"{serial:05d}",
        amount=sum(p.signed_amount for p in payments),
    )


def bgmax_file(deposits: Sequence[Deposit], *, written_at: datetime, test: bool = False) -> BgMaxFile:
    return BgMaxFile(
        written_at=written_at,
        timestamp=written_at.strftime("%Y%m%d%H%M%S%f"),
        test=test,
        deposits=tuple(deposits),
    )
