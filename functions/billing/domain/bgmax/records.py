"""The records of a BgMax file (Bankgiro Inbetalningar), typed, with what each code means.

A BgMax file reports the payments Bankgirot received for a payee's bankgiro number: one start record
(TK01), one section per deposit to the payee's bank account (TK05 opening, the payments TK20 and
deductions TK21 with their extra references TK22/TK23, message TK25, name TK26, address TK27/TK28
and organisation number TK29, closed by the deposit record TK15) and one end record (TK70).
Positions and code texts: ../shared/bgmax/FORMAT.md (our notes on Bankgirot's technical manual).

Amounts are whole öre and never signed in the file: a TK21 deduction and a TK23 extra reference
reduce; `signed_amount` says so. Records keep the line they came from (`line_no`, not compared), so
a reconciliation can name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Reference code (TK20/21/22/23 position 56): FORMAT.md §3.1.
REFERENCE_CODES = {
    "0": "no reference given (with extended form registration: the references are in TK22/TK23)",
    "1": "no reference: the payee has no agreement for form registration",
    "2": "correct OCR reference, checked under the payee's OCR agreement",
    "3": "one or more references; a single one failed the OCR check or there is no OCR agreement",
    "4": "correct reference under extended form registration without OCR control",
    "5": "wrong reference under extended form registration: it failed the control",
}
# Payment channel (position 57): FORMAT.md §3.2.
CHANNEL_CODES = {
    "1": "electronic payment from a bank (internet bank)",
    "2": "electronic payment through Leverantörsbetalningar (LB)",
    "3": "paper slip (OCR or giro slip)",
    "4": "electronic payment through Autogiro",
}
# Image marker (position 70): FORMAT.md §3.3.
IMAGE_CODES = {
    "0": "no slip image",
    "1": "a slip image exists (giro or deposit slip)",
}
# Deduction code (TK21 position 71): FORMAT.md §3.4.
DEDUCTION_CODES = {
    "0": "whole deduction, nothing remains",
    "1": "partial deduction, a remainder is left",
    "2": "final deduction after earlier partial deductions, nothing remains",
}

PAYMENT = "20"
DEDUCTION = "21"
EXTRA_REFERENCE = "22"
EXTRA_CREDIT = "23"


def meaning(codes: dict[str, str], code: str | None) -> str | None:
    if code is None:
        return None
    return codes.get(code, "undefined code")


def format_bankgiro(digits: str) -> str:
    """`0009912346` -> `991-2346` (7 digits) or `5050-1055` (8 digits)."""
    number = digits.lstrip("0")
    if len(number) < 5:
        return number
    return f"{number[:-4]}-{number[-4:]}"


@dataclass(frozen=True)
class BgMaxWarning:
    """Something read but doubtful (FORMAT.md §5, "warn, but go on"), or a record of an unknown type
    that was ignored: every line of the file is either in a record or in a warning."""

    line_no: int
    field: str
    message: str


@dataclass(frozen=True)
class ExtraReference:
    """TK22 (adds) or TK23 (a credit: subtracts): one more reference of the payment above it."""

    tk: str
    reference: str
    amount: int
    reference_code: str
    channel: str
    payer_bankgiro_raw: str = ""
    bgc_serial: str | None = None
    image_marker: str | None = None
    line_no: int = field(default=0, compare=False)

    @property
    def credit(self) -> bool:
        return self.tk == EXTRA_CREDIT

    @property
    def signed_amount(self) -> int:
        return -self.amount if self.credit else self.amount


@dataclass(frozen=True)
class Payer:
    """What Bankgirot knows of the payer: bankgiro (TK20), name (TK26), address (TK27/28), TK29."""

    bankgiro: str | None = None  # digits without leading zeros; None when unknown or not numeric
    bankgiro_raw: str = ""
    name: str | None = None
    extra_name: str | None = None
    address: str | None = None
    postcode: str | None = None
    town: str | None = None
    country: str | None = None
    country_code: str | None = None
    organisation_number: str | None = None  # digits; None when absent or not numeric
    organisation_number_raw: str | None = None


@dataclass(frozen=True)
class Payment:
    """TK20 (a payment) or TK21 (a deduction the payer made), with the records that follow it."""

    tk: str
    reference: str  # trimmed both sides; free references (codes 3-5) may hold several
    amount: int  # öre, as written (unsigned)
    reference_code: str
    channel: str
    bgc_serial: str | None = None  # blank in Autogiro BgMax
    image_marker: str | None = None
    deduction_code: str | None = None  # TK21 only
    payer: Payer = field(default_factory=Payer)
    extra_references: tuple[ExtraReference, ...] = ()
    information: tuple[str, ...] = ()  # TK25 lines, in order
    line_no: int = field(default=0, compare=False)

    @property
    def deduction(self) -> bool:
        return self.tk == DEDUCTION

    @property
    def signed_amount(self) -> int:
        return -self.amount if self.deduction else self.amount

    @property
    def message(self) -> str:
        return " ".join(line for line in self.information if line)


@dataclass(frozen=True)
class BankAccount:
    """TK15 positions 3-37: the payee's bank account the deposit went to."""

    clearing: str
    number: str
    raw: str


@dataclass(frozen=True)
class Deposit:
    """One section: TK05 opening, its payments and deductions, and the TK15 deposit record.

    The deposit is one credit on the payee's bank statement: `amount` is the sum of the payments
    minus the deductions, checked when parsed (and computed when written)."""

    payee_bankgiro: str  # digits without leading zeros
    payments: tuple[Payment, ...]
    account: BankAccount
    payment_date: date
    serial: str  # five digits, unique per bankgiro number and year
    amount: int
    currency: str = "SEK"
    payee_plusgiro: str | None = None
    deposit_type: str | None = None  # TK15 position 80: stored, not interpreted
    line_no: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        """The deposit's identity across files: payee bankgiro, date and deposit serial number."""
        return f"{self.payee_bankgiro}-{self.payment_date:%Y%m%d}-{self.serial}"


@dataclass(frozen=True)
class BgMaxFile:
    written_at: datetime  # TK01 time stamp, Swedish time, microseconds kept
    timestamp: str  # the 20 digits as written: the file's identity
    test: bool  # TK01 position 45: T (test) or P (production)
    deposits: tuple[Deposit, ...]
    layout_version: int = 1
    warnings: tuple[BgMaxWarning, ...] = field(default=(), compare=False)
    records_read: int = field(default=0, compare=False)  # lines read as records (not ignored, not blank)

    @property
    def payments(self) -> tuple[Payment, ...]:
        return tuple(p for d in self.deposits for p in d.payments)


def to_jsonable(parsed: BgMaxFile) -> dict[str, Any]:
    """The file as plain JSON types, every code with its meaning (`billing bgmax parse`)."""
    return {
        "format": "bgmax",
        "layout_version": parsed.layout_version,
        "timestamp": parsed.timestamp,
        "written_at": parsed.written_at.isoformat(),
        "test": parsed.test,
        "deposits": [deposit_to_jsonable(d) for d in parsed.deposits],
        "totals": {
            "payments": sum(1 for p in parsed.payments if not p.deduction),
            "deductions": sum(1 for p in parsed.payments if p.deduction),
            "extra_references": sum(len(p.extra_references) for p in parsed.payments),
            "deposits": len(parsed.deposits),
            "amount": sum(d.amount for d in parsed.deposits),
        },
        "warnings": [{"line": w.line_no, "field": w.field, "message": w.message} for w in parsed.warnings],
    }


def _code(codes: dict[str, str], code: str | None) -> dict[str, str | None] | None:
    return None if code is None else {"code": code, "meaning": meaning(codes, code)}


def deposit_to_jsonable(deposit: Deposit) -> dict[str, Any]:
    return {
        "key": deposit.key,
        "payee_bankgiro": format_bankgiro(deposit.payee_bankgiro),
        "payee_plusgiro": deposit.payee_plusgiro,
        "currency": deposit.currency,
        "account": {"clearing": deposit.account.clearing, "number": deposit.account.number},
        "payment_date": deposit.payment_date.isoformat(),
        "serial": deposit.serial,
        "amount": deposit.amount,
        "count": len(deposit.payments),
        "deposit_type": deposit.deposit_type,
        "payments": [_payment_json(p) for p in deposit.payments],
    }


def _payment_json(payment: Payment) -> dict[str, Any]:
    payer = payment.payer
    result: dict[str, Any] = {
        "record": f"TK{payment.tk}",
        "kind": "deduction" if payment.deduction else "payment",
        "amount": payment.amount,
        "signed_amount": payment.signed_amount,
        "reference": payment.reference,
        "reference_code": _code(REFERENCE_CODES, payment.reference_code),
        "channel": _code(CHANNEL_CODES, payment.channel),
        "bgc_serial": payment.bgc_serial,
        "image": _code(IMAGE_CODES, payment.image_marker),
    }
    if payment.deduction:
        result["deduction_code"] = _code(DEDUCTION_CODES, payment.deduction_code)
    result["extra_references"] = [
        {
            "record": f"TK{x.tk}",
            "reference": x.reference,
            "amount": x.amount,
            "signed_amount": x.signed_amount,
            "reference_code": _code(REFERENCE_CODES, x.reference_code),
        }
        for x in payment.extra_references
    ]
    result["information"] = list(payment.information)
    result["message"] = payment.message
    result["payer"] = {
        "bankgiro": format_bankgiro(payer.bankgiro) if payer.bankgiro else None,
        "bankgiro_raw": payer.bankgiro_raw,
        "name": payer.name,
        "extra_name": payer.extra_name,
        "address": payer.address,
        "postcode": payer.postcode,
        "town": payer.town,
        "country": payer.country,
        "country_code": payer.country_code,
        "organisation_number": payer.organisation_number,
        "organisation_number_raw": payer.organisation_number_raw,
    }
    return result
