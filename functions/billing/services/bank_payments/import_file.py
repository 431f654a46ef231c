"""`ImportBgMax(key)`: a BgMax file put into `bgmax/inbox/<tenant>/` is checked, its deposits stored as
the bank statement shows them, and each payment planned once and booked (docs/bgmax.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.domain.bgmax.records import Deposit, format_bankgiro
from billing.services.bank_inbox import read_bank_file, tenant_of_inbox_key
from billing.services.bank_payments.booking import (
    Booking,
    deposit_digest,
    payment_record,
    payment_status,
    unmatched_amount,
)
from billing.services.bank_payments.ports import (
    INBOX_PREFIX,
    BankFiles,
    BankSettings,
    ImportResult,
    bank_settings,
)
from billing.services.errors import PermanentError
from billing.services.ports import TenantAccount


@dataclass(kw_only=True, eq=False)
class ImportBgMax:
    tenants: Callable[[str], TenantAccount]
    booking: Booking
    files: BankFiles

    def __call__(self, key: str) -> ImportResult:
        tenant_id = tenant_of_inbox_key(key, INBOX_PREFIX)
        conf = bank_settings(self.tenants(tenant_id))
        if conf is None:
            raise PermanentError(f"tenant {tenant_id} has no bankgiro number", field="tenant_id")
        digest, parsed = read_bank_file(self.files, key, parse_bgmax, BgMaxParseError)
        if parsed.test != conf.test_files:
            which = "a test file (T)" if parsed.test else "a production file (P)"
            where = "a test environment" if conf.test_files else "production"
            raise PermanentError(f"{which} is not booked in {where}", field="test marker (45)")
        for deposit in parsed.deposits:
            if deposit.payee_bankgiro != conf.bankgiro:
                raise PermanentError(
                    f"deposit {deposit.key} is for bankgiro {format_bankgiro(deposit.payee_bankgiro)}, "
                    f"this tenant's is {format_bankgiro(conf.bankgiro)}",
                    field="payee bankgiro number (3-12)",
                )
        if self.booking.ledger.file_done(tenant_id, digest) is not None:
            return ImportResult(tenant_id, key, parsed.timestamp, already_imported=True)
        digests = {d.key: deposit_digest(d) for d in parsed.deposits}
        for deposit in parsed.deposits:
            # A deposit is one line on the bank statement: booked once, whichever file brings it.
            known = self.booking.ledger.deposit(tenant_id, deposit.key)
            if known is not None and known.get("digest") != digests[deposit.key]:
                raise PermanentError(
                    f"deposit {deposit.key} came in {known.get('file')} with other contents; "
                    "nothing of this file was booked",
                    field="deposit",
                    code="deposit_conflict",
                )
        counts = {
            "deposits": 0,
            "already": 0,
            "payments": 0,
            "booked": 0,
            "unmatched": 0,
            "unmatched_amount": 0,
        }
        for deposit in parsed.deposits:
            self._deposit(tenant_id, conf, key, deposit, digests[deposit.key], counts)
        result = ImportResult(
            tenant_id,
            key,
            parsed.timestamp,
            deposits=counts["deposits"],
            deposits_already_booked=counts["already"],
            payments=counts["payments"],
            booked=counts["booked"],
            unmatched=counts["unmatched"],
            unmatched_amount=counts["unmatched_amount"],
            warnings=len(parsed.warnings),
        )
        self.booking.ledger.mark_file(tenant_id, digest, result.to_dict(), self.booking.clock.now())
        return result

    def _deposit(
        self,
        tenant_id: str,
        conf: BankSettings,
        key: str,
        deposit: Deposit,
        digest: str,
        counts: dict[str, int],
    ) -> None:
        now = self.booking.clock.now()
        data = {
            "key": deposit.key,
            "digest": digest,
            "file": key,
            "bankgiro": format_bankgiro(deposit.payee_bankgiro),
            "account": {"clearing": deposit.account.clearing, "number": deposit.account.number},
            "payment_date": deposit.payment_date.isoformat(),
            "serial": deposit.serial,
            "amount": deposit.amount,
            "currency": deposit.currency,
            "count": len(deposit.payments),
            "deposit_type": deposit.deposit_type,
        }
        stored = self.booking.ledger.open_deposit(tenant_id, deposit.key, data, now)
        if stored.get("digest") != digest:
            # Another file with this deposit, other contents, got here first (at the same moment).
            raise PermanentError(
                f"deposit {deposit.key} came in {stored.get('file')} with other contents",
                field="deposit",
                code="deposit_conflict",
            )
        if stored.get("status") == "booked":
            counts["already"] += 1
            return
        summary = {"payments": 0, "booked": 0, "unmatched": 0, "unmatched_amount": 0}
        for position, payment in enumerate(deposit.payments, start=1):
            payment_id = f"{deposit.key}-{position:03d}"
            record = self.booking.ledger.payment(tenant_id, payment_id)
            if record is None:
                parts = self.booking.plan(tenant_id, payment, conf)
                fresh = {
                    **payment_record(deposit, position, payment, key),
                    "parts": parts,
                    "unmatched_amount": unmatched_amount(parts),
                    "status": payment_status(parts),
                }
                record = self.booking.ledger.create_payment(tenant_id, payment_id, fresh, now)
            record = self.booking.execute(tenant_id, payment_id, record)
            summary["payments"] += 1
            summary["booked"] += sum(1 for p in record["parts"] if p["kind"] != "unmatched")
            if record.get("unmatched_amount"):
                summary["unmatched"] += 1
                summary["unmatched_amount"] += int(record["unmatched_amount"])
        self.booking.ledger.close_deposit(tenant_id, deposit.key, summary, now)
        counts["deposits"] += 1
        for name in ("payments", "booked", "unmatched", "unmatched_amount"):
            counts[name] += summary[name]
