"""Typed records of Bankgirot's reports (manual §8.2-§8.5): payment specification, mandate
notification, rejected payments and the amendment report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import ClassVar

from billing.domain.autogiro.records.common import Direction, SectionedFile

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount


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


class PaymentSpecificationFile(SectionedFile[PaymentSpecificationSection]):
    """Betalningsspecifikation och stoppade betalningar i täckningskontroll (§8.2)."""

    kind = "payment_specification"

    def payments(self) -> tuple[PaymentResult, ...]:
        return self.each(lambda s: (p for b in s.blocks for p in b.payments))

    def refunds(self) -> tuple[Refund, ...]:
        return self.each(lambda s: (r for b in s.blocks for r in b.refunds))


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


class MandateNotificationFile(SectionedFile[MandateNotificationSection]):
    """Medgivandeavisering (§8.3)."""

    kind = "mandate_notification"

    def notices(self) -> tuple[MandateNotice, ...]:
        return self.each(lambda s: s.notices)


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


class RejectedPaymentsFile(SectionedFile[RejectedPaymentsSection]):
    """Avvisade betalningar (§8.4)."""

    kind = "rejected_payments"

    def payments(self) -> tuple[RejectedPayment, ...]:
        return self.each(lambda s: s.payments)


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


class AmendmentReportFile(SectionedFile[AmendmentReportSection]):
    """Makuleringar/ändringar av betalningar (§8.5)."""

    kind = "amendment_report"

    def results(self) -> tuple[AmendmentResult, ...]:
        return self.each(lambda s: s.results)
