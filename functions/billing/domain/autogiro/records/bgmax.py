"""Typed records of BgMax for Autogiro (manual §10): deposits and their payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

# BankAccount lives with its validation; records re-export it for callers that build requests.
from billing.domain.autogiro.validation import BankAccount


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
