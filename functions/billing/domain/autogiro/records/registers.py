"""Typed records of internet-bank mandates (manual §8.6) and the register extracts (§8.7, §8.8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from billing.domain.autogiro.records.common import Direction, SectionedFile
from billing.domain.autogiro.records.reports import SignedTotals

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount


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


class DigitalMandateFile(SectionedFile[DigitalMandateSection]):
    """Medgivanden via Internetbanken, AG-EMEDGIV (§8.6)."""

    kind = "digital_mandates"

    def mandates(self) -> tuple[DigitalMandate, ...]:
        return self.each(lambda s: s.mandates)


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


class MonitoringRegisterFile(SectionedFile[MonitoringRegisterSection]):
    """Utdrag ur bevakningsregistret (§8.7)."""

    kind = "monitoring_register"

    def payments(self) -> tuple[FuturePayment, ...]:
        return self.each(lambda s: s.payments)


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
