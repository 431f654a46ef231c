"""Typed records of Bankgirot Autogiro files, both directions (new layout).

Requests (files to Bankgirot, manual §7) are what the writer takes and what the parser returns for
a request file; reports (files from Bankgirot, manual §8) are what the parser returns. Conventions:

* amounts are integers in öre;
* payer numbers are digit strings without leading zeros (the file field is N16, zero-filled);
* bankgiro numbers are digit strings without leading zeros;
* a personnummer/organisationsnummer ("identity") is the 12-position Autogiro form;
* references are the text as it appears in the file, blanks stripped; reports re-pad them with
  zeros, so compare them with `same_reference`.

Positions quoted in the docstrings are the manual's, 1-based.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount


class Direction(Enum):
    """A payment's direction, by its transaction code."""

    INCOMING = "82"  # debit the payer (inbetalning)
    OUTGOING = "32"  # pay out to the payer (utbetalning), e.g. a refund


class PeriodCode(Enum):
    """How often a payment order repeats (manual §7.3)."""

    ONCE = 0
    MONTHLY_ON_DATE = 1
    QUARTERLY_ON_DATE = 2
    HALF_YEARLY_ON_DATE = 3
    YEARLY_ON_DATE = 4
    MONTHLY_LAST_DAY = 5
    QUARTERLY_LAST_DAY = 6
    HALF_YEARLY_LAST_DAY = 7
    YEARLY_LAST_DAY = 8


def same_reference(left: str | None, right: str | None) -> bool:
    """True when two payment references are the same once the re-padding is undone.

    Bankgirot returns `RIDLEKTION` as `000000RIDLEKTION` in the payment specification and
    `FAKTNR165` as `FAKTNR1650000000` in the amendment report (FORMAT.md §1.6.3), so zeros and blanks
    at either end are not significant.
    """
    return _reference_key(left) == _reference_key(right)


def _reference_key(reference: str | None) -> str:
    return (reference or "").strip(" 0")


# --- Files to Bankgirot -------------------------------------------------------------------------


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


# --- Reports from Bankgirot ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOpening:
    """TK01 of a new-layout report. `timestamp` is set for the payment specification only."""

    write_date: date
    content: str
    customer_number: str
    payee_bankgiro: str
    timestamp: datetime | None = None


class PaymentStatus(Enum):
    """Position 80 of TK82/TK32 in the payment specification (manual §8.2.3)."""

    APPROVED = "0"
    NO_FUNDS = "1"
    NO_CONNECTION = "2"
    RETRY_PENDING = "9"


@dataclass(frozen=True)
class PaymentResult:
    """TK82/TK32 in the payment specification: one payment and whether it was executed."""

    direction: Direction
    payment_date: date
    period_code: int | None
    repetitions: int | None
    payer_number: str
    amount_ore: int
    payee_bankgiro: str
    reference: str
    status: PaymentStatus


@dataclass(frozen=True)
class Refund:
    """TK77: the payer's bank took back an executed debit (återbetalning)."""

    original_payment_date: date
    period_code: int | None
    repetitions: int | None
    payer_number: str
    amount_ore: int
    payee_bankgiro: str
    reference: str
    refund_date: date
    reason_code: str


class BlockKind(Enum):
    DEPOSIT = "15"  # incoming payments (TK82)
    WITHDRAWAL = "16"  # outgoing payments (TK32)
    REFUND = "17"  # one refund (TK77)


@dataclass(frozen=True)
class PaymentBlock:
    """TK15/TK16/TK17 and the payments under it; the totals cover approved payments only."""

    kind: BlockKind
    bank_account: str
    payment_date: date
    serial_number: int
    total_ore: int
    approved_count: int
    payments: tuple[PaymentResult, ...] = ()
    refunds: tuple[Refund, ...] = ()


@dataclass(frozen=True)
class PaymentSpecificationTotals:
    """TK09 of the payment specification."""

    write_date: date
    deposit_records: int
    executed_incoming: int
    withdrawal_records: int
    executed_outgoing: int
    refund_records: int
    refunds: int


@dataclass(frozen=True)
class PaymentSpecificationSection:
    opening: ReportOpening
    blocks: tuple[PaymentBlock, ...]
    totals: PaymentSpecificationTotals


@dataclass(frozen=True)
class PaymentSpecificationFile:
    """Betalningsspecifikation och stoppade betalningar i täckningskontroll (§8.2)."""

    kind: ClassVar[str] = "payment_specification"
    sections: tuple[PaymentSpecificationSection, ...]

    def payments(self) -> tuple[PaymentResult, ...]:
        return tuple(p for s in self.sections for b in s.blocks for p in b.payments)

    def refunds(self) -> tuple[Refund, ...]:
        return tuple(r for s in self.sections for b in s.blocks for r in b.refunds)


@dataclass(frozen=True)
class MandateNotice:
    """TK73: what happened to a mandate (information code) and why (comment code)."""

    payee_bankgiro: str
    payer_number: str
    account: BankAccount | None
    identity: str | None
    information_code: str
    comment_code: str | None
    action_date: date
    valid_from: date | None = None


@dataclass(frozen=True)
class MandateNotificationSection:
    opening: ReportOpening
    notices: tuple[MandateNotice, ...]
    record_count: int


@dataclass(frozen=True)
class MandateNotificationFile:
    """Medgivandeavisering (§8.3)."""

    kind: ClassVar[str] = "mandate_notification"
    sections: tuple[MandateNotificationSection, ...]

    def notices(self) -> tuple[MandateNotice, ...]:
        return tuple(n for s in self.sections for n in s.notices)


@dataclass(frozen=True)
class RejectedPayment:
    """TK82/TK32 in the rejected-payments report. Fields may hold the invalid value that caused the
    rejection, so the date is None when impossible (its text is kept) and codes stay text."""

    direction: Direction
    payment_date: date | None
    payment_date_text: str
    period_code: str
    repetitions: str
    payer_number: str
    amount_ore: int | None
    reference: str
    comment_code: str


@dataclass(frozen=True)
class RejectedPaymentsTotals:
    write_date: date
    outgoing_count: int
    outgoing_sum_ore: int
    incoming_count: int
    incoming_sum_ore: int


@dataclass(frozen=True)
class RejectedPaymentsSection:
    opening: ReportOpening
    payments: tuple[RejectedPayment, ...]
    totals: RejectedPaymentsTotals


@dataclass(frozen=True)
class RejectedPaymentsFile:
    """Avvisade betalningar (§8.4)."""

    kind: ClassVar[str] = "rejected_payments"
    sections: tuple[RejectedPaymentsSection, ...]

    def payments(self) -> tuple[RejectedPayment, ...]:
        return tuple(p for s in self.sections for p in s.payments)


@dataclass(frozen=True)
class AmendmentResult:
    """A record of the cancellation/change report: TK03, TK11, TK21-TK25 (cancelled) or TK26-TK29
    (moved). Comment code 12, 14 or 18 means done; anything else says why not.

    `payment_count` is set when positions 41-48 carry a count (seen for TK21, TK26, TK27) instead
    of the word REFERENS.
    """

    transaction_code: str
    payment_date: date | None
    payment_date_text: str
    payer_number: str | None
    direction: Direction | None
    amount_ore: int
    reference: str | None
    payment_count: int | None
    new_date: date | None
    comment_code: str

    SUCCESS_CODES: ClassVar[frozenset[str]] = frozenset({"12", "14", "18"})

    @property
    def succeeded(self) -> bool:
        return self.comment_code in self.SUCCESS_CODES


@dataclass(frozen=True)
class SignedTotals:
    """TK09 of the amendment report and of the monitoring-register extract.

    The sums are signed: the amendment report writes them as negative "signed fields" (last digit a
    letter, å=0 ... R=9); the extract and some real reports write them unsigned.
    """

    write_date: date
    outgoing_sum_ore: int
    outgoing_count: int
    incoming_count: int
    incoming_sum_ore: int


@dataclass(frozen=True)
class AmendmentReportSection:
    opening: ReportOpening
    results: tuple[AmendmentResult, ...]
    totals: SignedTotals


@dataclass(frozen=True)
class AmendmentReportFile:
    """Makuleringar/ändringar av betalningar (§8.5)."""

    kind: ClassVar[str] = "amendment_report"
    sections: tuple[AmendmentReportSection, ...]

    def results(self) -> tuple[AmendmentResult, ...]:
        return tuple(r for s in self.sections for r in s.results)


@dataclass(frozen=True)
class DigitalMandate:
    """TK52 and its optional TK53-TK56: a mandate the payer gave in the internet bank.

    The payer number is as the payer typed it. The payee must answer with TK04 (approve, or `AV`).
    """

    payee_bankgiro: str
    payer_number: str
    account: BankAccount | None
    identity: str | None
    message_type: int  # 0 new, 1 first reminder, 2 second reminder
    information: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    city: str = ""


@dataclass(frozen=True)
class DigitalMandateSection:
    write_date: date
    payee_bankgiro: str
    mandates: tuple[DigitalMandate, ...]
    record_count: int


@dataclass(frozen=True)
class DigitalMandateFile:
    """Medgivanden via Internetbanken, AG-EMEDGIV (§8.6)."""

    kind: ClassVar[str] = "digital_mandates"
    sections: tuple[DigitalMandateSection, ...]

    def mandates(self) -> tuple[DigitalMandate, ...]:
        return tuple(m for s in self.sections for m in s.mandates)


@dataclass(frozen=True)
class FuturePayment:
    """TK82/TK32 in the monitoring-register extract: a payment Bankgirot will make."""

    direction: Direction
    payment_date: date
    period_code: int | None
    repetitions: int | None
    payer_number: str
    amount_ore: int
    reference: str


@dataclass(frozen=True)
class MonitoringRegisterSection:
    write_date: date
    customer_number: str
    payee_bankgiro: str
    payments: tuple[FuturePayment, ...]
    totals: SignedTotals


@dataclass(frozen=True)
class MonitoringRegisterFile:
    """Utdrag ur bevakningsregistret (§8.7)."""

    kind: ClassVar[str] = "monitoring_register"
    sections: tuple[MonitoringRegisterSection, ...]

    def payments(self) -> tuple[FuturePayment, ...]:
        return tuple(p for s in self.sections for p in s.payments)


@dataclass(frozen=True)
class MandateRegisterEntry:
    """A record of the mandate-register extract (§8.8)."""

    payee_bankgiro: str
    identity: str | None
    payer_number: str
    mandate_type: int  # 1 given to the payee, 2 given in the internet bank
    last_activity_year: int  # two digits, as written
    created_on: date | None
    changed_on: date | None
    status: int  # 1 approved for Autogiro, 2 under inquiry
    account: BankAccount | None


@dataclass(frozen=True)
class MandateRegisterFile:
    """Utdrag ur medgivanderegistret (§8.8): records only, no opening or closing record."""

    kind: ClassVar[str] = "mandate_register"
    entries: tuple[MandateRegisterEntry, ...]


@dataclass(frozen=True)
class BgMaxPayment:
    """TK20 and its optional TK26-TK29: an executed Autogiro debit reported in BgMax.

    BgMax carries no payer number: the reference written in the TK82 is the only match key.
    Name, address and organisationsnummer come only when the payer number is a bankgiro number.
    """

    payer_bankgiro: str | None
    reference: str
    amount_ore: int
    reference_code: str
    channel_code: str
    name_lines: tuple[str, ...] = ()
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    country_code: str = ""
    organisationsnummer: str | None = None


@dataclass(frozen=True)
class BgMaxDeposit:
    """TK15 closing a BgMax section: the deposit made to our bank account for its payments."""

    bank_account: BankAccount | None
    payment_date: date
    serial_number: int
    amount_ore: int
    currency: str
    payment_count: int


@dataclass(frozen=True)
class BgMaxSection:
    payee_bankgiro: str
    currency: str
    payments: tuple[BgMaxPayment, ...]
    deposit: BgMaxDeposit


@dataclass(frozen=True)
class BgMaxFile:
    """Bg Max for Autogiro (manual §10): executed incoming payments only."""

    kind: ClassVar[str] = "bgmax"
    version: int
    timestamp: datetime
    test: bool
    sections: tuple[BgMaxSection, ...]
    payment_count: int
    deposit_count: int

    def payments(self) -> tuple[BgMaxPayment, ...]:
        return tuple(p for s in self.sections for p in s.payments)


AutogiroFile = (
    RequestFile
    | PaymentSpecificationFile
    | MandateNotificationFile
    | RejectedPaymentsFile
    | AmendmentReportFile
    | DigitalMandateFile
    | MonitoringRegisterFile
    | MandateRegisterFile
    | BgMaxFile
)


def to_jsonable(value: Any) -> Any:
    """Plain JSON data for any record or file above: dataclasses become objects with a "type" key,
    dates ISO strings, enums their names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        kind = getattr(type(value), "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        tk = getattr(type(value), "tk", None)
        if isinstance(tk, str):
            out["tk"] = tk
        for f in dataclasses.fields(value):
            out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value
