"""Typed records of request files, ours to Bankgirot (manual §7): mandates, payment orders, amendments,
and the one field table of the amendment records that both the writer and the parser use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from billing.domain.autogiro.records.common import Direction, Field, PeriodCode

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount


@dataclass(frozen=True)
class RequestOpening:
    """TK01 of a request section: write date, Bankgirot customer number, payee bankgiro."""

    write_date: date
    customer_number: str
    payee_bankgiro: str


@dataclass(frozen=True)
class CancelMandate:
    """TK03: remove a mandate."""

    tk: ClassVar[str] = "03"
    payer_number: str


@dataclass(frozen=True)
class CreateMandate:
    """TK04 with positions 77-78 blank.

    With an account and identity: a new mandate on a bank account. Without: either a new mandate on
    the payer's bankgiro number (the payer number is that bankgiro) or the approval of a mandate the
    payer gave in the internet bank. The two are identical on the wire; only our own state can tell
    them apart.
    """

    tk: ClassVar[str] = "04"
    payer_number: str
    account: BankAccount | None = None
    identity: str | None = None


@dataclass(frozen=True)
class RejectDigitalMandate:
    """TK04 with `AV` in positions 77-78: refuse a mandate given in the internet bank."""

    tk: ClassVar[str] = "04"
    payer_number: str
    account: BankAccount | None = None
    identity: str | None = None


@dataclass(frozen=True)
class ChangePayerNumber:
    """TK05: move a bank-account mandate to a new payer number."""

    tk: ClassVar[str] = "05"
    old_payer_number: str
    new_payer_number: str


@dataclass(frozen=True)
class PaymentOrder:
    """TK82 (debit) or TK32 (pay-out). `payment_date=None` is `GENAST`, the next banking day.

    `repetitions=None` with a repeating period code means "until cancelled".
    """

    direction: Direction
    payment_date: date | None
    payer_number: str
    amount_ore: int
    reference: str = ""
    period_code: PeriodCode = PeriodCode.ONCE
    repetitions: int | None = None


@dataclass(frozen=True)
class CancelAllPayments:
    """TK23: cancel every payment of a payer number."""

    tk: ClassVar[str] = "23"
    payer_number: str


@dataclass(frozen=True)
class CancelPaymentsOnDate:
    """TK24: cancel the payer's payments on a date."""

    tk: ClassVar[str] = "24"
    payer_number: str
    payment_date: date


@dataclass(frozen=True)
class CancelPayment:
    """TK25: cancel one payment, found by payer, date, amount, direction and reference."""

    tk: ClassVar[str] = "25"
    payer_number: str
    payment_date: date
    amount_ore: int
    direction: Direction
    reference: str = ""


@dataclass(frozen=True)
class MoveAllPayments:
    """TK26: move every payment (of every payer) to a new date."""

    tk: ClassVar[str] = "26"
    new_date: date


@dataclass(frozen=True)
class MovePaymentsFromDate:
    """TK27: move every payment on `payment_date` to `new_date`."""

    tk: ClassVar[str] = "27"
    payment_date: date
    new_date: date


@dataclass(frozen=True)
class MovePayerPayments:
    """TK28: move the payer's payments on `payment_date` to `new_date`."""

    tk: ClassVar[str] = "28"
    payer_number: str
    payment_date: date
    new_date: date


@dataclass(frozen=True)
class MovePayment:
    """TK29: move one payment to `new_date`."""

    tk: ClassVar[str] = "29"
    payer_number: str
    payment_date: date
    amount_ore: int
    direction: Direction
    new_date: date
    reference: str = ""


# TK23-TK29 share one layout after the payee bankgiro (manual §7); each record fills the fields it
# has and leaves the others blank, so the table and the record's own attributes say what a line holds.
AMENDMENT_FIELDS = (
    Field("payer_number", 13, 16, "payer"),
    Field("payment_date", 29, 8, "date"),
    Field("amount_ore", 37, 12, "amount"),
    Field("direction", 49, 2, "direction"),
    Field("new_date", 51, 8, "date"),
    Field("reference", 59, 16, "text"),
)

MandateRequest = CancelMandate | CreateMandate | RejectDigitalMandate | ChangePayerNumber
AmendmentRequest = (
    CancelAllPayments
    | CancelPaymentsOnDate
    | CancelPayment
    | MoveAllPayments
    | MovePaymentsFromDate
    | MovePayerPayments
    | MovePayment
)
RequestRecord = MandateRequest | PaymentOrder | AmendmentRequest

AMENDMENT_TYPES: dict[str, type[AmendmentRequest]] = {
    record_type.tk: record_type
    for record_type in (
        CancelAllPayments,
        CancelPaymentsOnDate,
        CancelPayment,
        MoveAllPayments,
        MovePaymentsFromDate,
        MovePayerPayments,
        MovePayment,
    )
}


def amendment_fields(record_type: type[AmendmentRequest]) -> tuple[Field, ...]:
    """The fields of `AMENDMENT_FIELDS` a TK23-TK29 record type carries, in position order."""
    names = {field.name for field in dataclasses.fields(record_type)}
    return tuple(field for field in AMENDMENT_FIELDS if field.name in names)


@dataclass(frozen=True)
class RequestSection:
    opening: RequestOpening
    records: tuple[RequestRecord, ...]


@dataclass(frozen=True)
class SealInfo:
    """The TK00/TK99 delivery seal found around a request file (see seal.py)."""

    write_date: date | None
    key_verification_value: str
    seal: str


@dataclass(frozen=True)
class RequestFile:
    """A file to Bankgirot: one or more sections, each with its own TK01."""

    kind: ClassVar[str] = "request"
    sections: tuple[RequestSection, ...]
    seal: SealInfo | None = None
