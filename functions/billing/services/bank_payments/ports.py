"""What bank payments need and hold: the tenant's bankgiro settings, the ports (bank ledger, OCR
index, inbox files), an import's result, and the inbox key's tenant (docs/bgmax.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from billing.services.errors import PermanentError
from billing.services.ports import StoredInvoice, TenantAccount

STOCKHOLM = ZoneInfo("Europe/Stockholm")
INBOX_PREFIX = "bgmax/inbox/"
CURRENCY = "SEK"  # Bankgirot reports SEK only since 2016


class DeductionResult(StrEnum):
    APPLIED = "applied"
    ALREADY = "already"  # this deduction was recorded before (a re-import)
    NOT_ENOUGH_CREDIT = "not_enough_credit"  # the note, or the customer's balance, no longer has it


@dataclass(frozen=True)
class BankSettings:
    """The tenant's Bankgiro Inbetalningar agreement: the page document's "bgmax" object (docs/bgmax.md)."""

    bankgiro: str  # digits, no leading zeros
    test_files: bool = False  # True: a test environment, which books T files only
    length_digit: bool = False  # OCR numbers carry a length digit (the tenant's settings)


def bank_settings(tenant: TenantAccount) -> BankSettings | None:
    raw = tenant.page.get("bgmax") or {}
    if not isinstance(raw, Mapping):
        raise PermanentError("must be an object", field="page.bgmax")
    bankgiro = raw.get("bankgiro") or tenant.settings.bankgiro
    if not bankgiro:
        return None
    digits = "".join(ch for ch in str(bankgiro) if ch.isdigit()).lstrip("0")
    if not 7 <= len(digits) <= 8:
        raise PermanentError("a bankgiro number has 7 or 8 digits", field="page.bgmax.bankgiro")
    test_files = raw.get("test_files", False)
    if not isinstance(test_files, bool):
        raise PermanentError("must be true or false", field="page.bgmax.test_files")
    return BankSettings(digits, test_files, tenant.settings.ocr_length_digit)


class BankLedger(Protocol):
    """BankPaymentsTable (billing.adapters.dynamo.bank_payments). Records are plain dicts with
    `status` and `item_key`."""

    def file_done(self, tenant_id: str, digest: str) -> dict[str, Any] | None: ...

    def mark_file(self, tenant_id: str, digest: str, details: dict[str, Any], now: datetime) -> None: ...

    def deposit(self, tenant_id: str, key: str) -> dict[str, Any] | None: ...

    def open_deposit(self, tenant_id: str, key: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Create the deposit (status importing) unless it exists; the stored one either way."""
        ...

    def close_deposit(self, tenant_id: str, key: str, summary: dict[str, Any], now: datetime) -> None: ...

    def deposits(self, tenant_id: str) -> list[dict[str, Any]]: ...

    def payment(self, tenant_id: str, payment_id: str) -> dict[str, Any] | None: ...

    def create_payment(
        self, tenant_id: str, payment_id: str, data: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Create the payment unless it exists; the stored one either way (its plan wins)."""
        ...

    def update_payment(
        self,
        tenant_id: str,
        payment_id: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        now: datetime,
    ) -> dict[str, Any]: ...

    def unmatched(self, tenant_id: str) -> list[dict[str, Any]]: ...

    def deduct(
        self, note: StoredInvoice, ref: str, amount: int, remaining: int, now: datetime
    ) -> DeductionResult: ...


class OcrIndex(Protocol):
    def find(self, tenant_id: str, ocr: str) -> StoredInvoice | None: ...


class BankFiles(Protocol):
    def read(self, key: str) -> bytes: ...


@dataclass(frozen=True)
class ImportResult:
    tenant_id: str
    key: str
    timestamp: str | None = None  # the file's TK01 time stamp
    already_imported: bool = False
    deposits: int = 0  # booked by this import
    deposits_already_booked: int = 0  # from another file with the same deposit
    payments: int = 0
    booked: int = 0  # amounts booked on invoices and credit notes
    unmatched: int = 0  # payments with money no invoice took
    unmatched_amount: int = 0
    warnings: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def booked_at(day: date) -> datetime:
    # BgMax gives the deposit's day, not a moment: noon Swedish time of that day.
    return datetime.combine(day, time(12), tzinfo=STOCKHOLM)
