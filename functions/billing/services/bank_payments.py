"""Bank payments with OCR: BgMax files (Bankgiro Inbetalningar) settle invoices by themselves.

* `ImportBgMax(key)`: a BgMax file put into `bgmax/inbox/<tenant>/` (docs/bgmax.md). Each deposit
  (TK15) is stored as the bank statement will show it; each payment is planned once (which invoice,
  instalment or credit note each amount goes to, or why none) and the plan stored before anything is
  booked, then carried out: payments through `ApplyPaymentEvent`, the settlement every payment uses
  (receipt email, page, audit, reminders stop, an overpayment to the customer's balance), deductions
  (TK21, TK23) against the credit note they name. Money no invoice takes goes to the unmatched list.
* `UnmatchedPayments(tenant)`: that list. `AssignPayment(tenant, payment, invoice)`: an operator
  books an unmatched payment on an invoice; audited, then settled the same way.
* `ReverseBankPayment(tenant, payment, reason)`: the money went back to the payer (Bankgirot returned
  it, the bank recalled it): each invoice it paid is owed again through the settlement's own
  reversal (`PaymentReversed` on the same payment reference), audited, reminders follow.

Idempotent at every step: a file already imported is recognised by its SHA-256; a deposit by its
bankgiro, date and serial number (the same deposit in another file changes nothing, and one with
other contents is refused); a payment by its deposit and position; each booking by a payment
reference the settlement applies once (`bgmax:<payment>:<part>`), which is also the reference a
later `PaymentReversed` names to take it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from billing.domain.bgmax.matching import Claim, allocate, check_reference, claims_of
from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.domain.bgmax.records import Deposit, Payment, deposit_to_jsonable, format_bankgiro
from billing.domain.invoice import CREDIT_NOTE
from billing.domain.ocr import OcrError, ocr_reference
from billing.domain.payments import PaymentReversed, PaymentSucceeded
from billing.services.errors import PermanentError
from billing.services.ports import AuditEvent, AuditTrail, Clock, InvoiceLedger, StoredInvoice, TenantAccount
from billing.services.settlement import ApplyPaymentEvent

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


def tenant_of_inbox_key(key: str) -> str:
    """`bgmax/inbox/<tenant>/<file>` -> tenant."""
    tenant, _, name = key.removeprefix(INBOX_PREFIX).partition("/")
    if not key.startswith(INBOX_PREFIX) or not tenant or not name:
        raise PermanentError(f"expected {INBOX_PREFIX}<tenant>/<file>, got {key!r}", field="key")
    return tenant


def booked_at(day: date) -> datetime:
    # BgMax gives the deposit's day, not a moment: noon Swedish time of that day.
    return datetime.combine(day, time(12), tzinfo=STOCKHOLM)


def _deposit_digest(deposit: Deposit) -> str:
    return hashlib.sha256(json.dumps(deposit_to_jsonable(deposit), sort_keys=True).encode()).hexdigest()


def _unmatched_amount(parts: list[dict[str, Any]]) -> int:
    return sum(int(p["amount"]) for p in parts if p["kind"] == "unmatched")


def _status(parts: list[dict[str, Any]], assigned: bool = False) -> str:
    if _unmatched_amount(parts):
        return "unmatched"
    return "assigned" if assigned else "booked"


class _Booking:
    """Planning and carrying out the bookings of one payment; shared by the import and the operator."""

    def __init__(
        self,
        *,
        invoices: InvoiceLedger,
        ocr: OcrIndex,
        ledger: BankLedger,
        settle: ApplyPaymentEvent,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.invoices = invoices
        self.ocr = ocr
        self.ledger = ledger
        self.settle = settle
        self.audit = audit
        self.clock = clock

    # ---------------------------------------------------------------- finding what a reference names

    def lookup(self, tenant_id: str, reference: str, length_digit: bool) -> tuple[StoredInvoice | None, str]:
        problem = check_reference(reference, length_digit=length_digit)
        if problem is not None:
            return None, f"{reference}: {problem}"
        found = self.ocr.find(tenant_id, reference)
        if found is None:
            return None, f"{reference}: no invoice has this OCR number"
        if found.invoice.currency != CURRENCY:
            return None, f"{reference}: the invoice is in {found.invoice.currency}, the payment in {CURRENCY}"
        return found, ""

    def _open_targets(self, stored: StoredInvoice) -> list[StoredInvoice]:
        """An invoice split into instalments is paid through them, the next one due first."""
        if stored.status != "split":
            return [stored]
        parts = ((stored.state.get("dunning") or {}).get("split") or {}).get("instalments") or []
        children = [self.invoices.get(stored.tenant_id, str(p.get("invoice_id"))) for p in parts]
        open_children = [c for c in children if c is not None and c.status == "open" and c.amount_due > 0]
        return open_children or [c for c in children if c is not None][-1:] or [stored]

    def _credit_notes_of(self, invoice: StoredInvoice) -> list[StoredInvoice]:
        history = self.invoices.history(invoice.tenant_id, invoice.invoice.customer_id, date.max, limit=100)
        return [
            h
            for h in history
            if h.invoice.kind == CREDIT_NOTE and h.invoice.credited_invoice_id == invoice.invoice_id
        ]

    # ---------------------------------------------------------------- the plan

    def plan(self, tenant_id: str, payment: Payment, conf: BankSettings) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for claim in claims_of(payment):
            planned = (
                self._credit(tenant_id, claim, conf) if claim.credit else self._debit(tenant_id, claim, conf)
            )
            parts.extend(planned)
        for n, part in enumerate(parts, start=1):
            part["n"] = n
            part["applied"] = False
        return parts

    @staticmethod
    def _unmatched(claim: Claim, reason: str) -> dict[str, Any]:
        return {
            "kind": "unmatched",
            "amount": claim.amount,
            "credit": claim.credit,
            "references": list(claim.references),
            "reason": reason,
            "line": claim.source_line,
        }

    def _debit(self, tenant_id: str, claim: Claim, conf: BankSettings) -> list[dict[str, Any]]:
        if claim.reason is not None:
            return [self._unmatched(claim, claim.reason)]
        targets: dict[str, StoredInvoice] = {}
        reasons: list[str] = []
        for reference in claim.references:
            found, reason = self.lookup(tenant_id, reference, conf.length_digit)
            if found is None:
                reasons.append(reason)
            elif found.invoice.kind == CREDIT_NOTE:
                reasons.append(f"{reference}: names a credit note, not an invoice")
            else:
                for target in self._open_targets(found):
                    targets.setdefault(target.invoice_id, target)
        if not targets:
            return [self._unmatched(claim, "; ".join(reasons) or "no usable reference")]
        ordered = sorted(targets.values(), key=lambda s: (s.invoice.due_date, s.invoice.number or ""))
        shares, left = allocate(claim.amount, [(s.invoice_id, max(0, s.amount_due)) for s in ordered])
        if not shares:
            # Everything named is paid already: the money is an overpayment of the newest one.
            shares, left = [(ordered[-1].invoice_id, claim.amount)], 0
        if left:
            # More than every named invoice asked: the rest is an overpayment, for the customer's
            # balance through the settlement of the last share.
            last_id, last_amount = shares[-1]
            shares[-1] = (last_id, last_amount + left)
        return [
            {
                "kind": "invoice",
                "invoice_id": invoice_id,
                "amount": amount,
                "credit": False,
                "references": list(claim.references),
                "line": claim.source_line,
            }
            for invoice_id, amount in shares
        ]

    def _credit(self, tenant_id: str, claim: Claim, conf: BankSettings) -> list[dict[str, Any]]:
        """A deduction names our credit note, or the invoice that note credits (FORMAT.md §6.4)."""
        if claim.reason is not None:
            return [self._unmatched(claim, claim.reason)]
        reasons: list[str] = []
        for reference in claim.references:
            found, reason = self.lookup(tenant_id, reference, conf.length_digit)
            if found is None:
                reasons.append(reason)
                continue
            notes = [found] if found.invoice.kind == CREDIT_NOTE else self._credit_notes_of(found)
            for note in notes:
                if _credit_left(note) >= claim.amount:
                    return [
                        {
                            "kind": "credit_note",
                            "invoice_id": note.invoice_id,
                            "amount": claim.amount,
                            "credit": True,
                            "references": list(claim.references),
                            "line": claim.source_line,
                        }
                    ]
            reasons.append(f"{reference}: no credit note with {claim.amount} öre of credit left")
        return [self._unmatched(claim, "; ".join(reasons) or "no usable reference")]

    # ---------------------------------------------------------------- carrying it out

    def execute(self, tenant_id: str, payment_id: str, record: dict[str, Any]) -> dict[str, Any]:
        for part in list(record["parts"]):
            if part["kind"] == "unmatched" or part.get("applied"):
                continue
            ref = f"bgmax:{payment_id}:{part['n']}"
            if part["kind"] == "invoice":
                event = PaymentSucceeded(
                    event_id=ref,
                    event_type="bgmax.payment.received",
                    occurred_at=booked_at(date.fromisoformat(record["payment_date"])),
                    invoice_id=part["invoice_id"],
                    payment_ref=ref,
                    amount=int(part["amount"]),
                    currency=CURRENCY,
                    customer_ref=(record.get("payer") or {}).get("bankgiro"),
                )
                self.settle(tenant_id, part["invoice_id"], event, "bankgirot")
                record = self._mark(tenant_id, payment_id, part["n"], None)
            else:
                record = self._deduct(tenant_id, payment_id, record, part, ref)
        return record

    def _deduct(
        self, tenant_id: str, payment_id: str, record: dict[str, Any], part: dict[str, Any], ref: str
    ) -> dict[str, Any]:
        note = self.invoices.get(tenant_id, part["invoice_id"])
        now = self.clock.now()
        result = (
            DeductionResult.NOT_ENOUGH_CREDIT
            if note is None
            else self.ledger.deduct(note, ref, int(part["amount"]), -note.invoice.total, now)
        )
        if result is DeductionResult.NOT_ENOUGH_CREDIT:
            # The credit was used meanwhile (on an invoice, or by another deduction): a person decides.
            return self._mark(tenant_id, payment_id, part["n"], "the credit note's credit is used up already")
        if result is DeductionResult.APPLIED and note is not None:
            self.audit.append(
                tenant_id,
                note.invoice_id,
                AuditEvent(
                    "credit_note_deducted",
                    "bankgirot",
                    now,
                    {"payment": payment_id, "amount": part["amount"], "deposit": record["deposit"]},
                ),
            )
        return self._mark(tenant_id, payment_id, part["n"], None)

    def _mark(self, tenant_id: str, payment_id: str, n: int, unmatched_reason: str | None) -> dict[str, Any]:
        def change(data: dict[str, Any]) -> dict[str, Any]:
            parts = []
            for part in data["parts"]:
                if part["n"] == n:
                    if unmatched_reason is None:
                        part = {**part, "applied": True}
                    else:
                        part = {
                            **{k: v for k, v in part.items() if k != "invoice_id"},
                            "kind": "unmatched",
                            "reason": unmatched_reason,
                        }
                parts.append(part)
            return {
                **data,
                "parts": parts,
                "unmatched_amount": _unmatched_amount(parts),
                "status": _status(parts, assigned=bool(data.get("assigned"))),
            }

        return self.ledger.update_payment(tenant_id, payment_id, change, self.clock.now())


def _credit_left(note: StoredInvoice) -> int:
    deducted = ((note.state.get("bank") or {}).get("deducted")) or {}
    return -note.invoice.total - sum(int(v) for v in deducted.values())


def _payment_record(deposit: Deposit, position: int, payment: Payment, key: str) -> dict[str, Any]:
    payer = payment.payer
    return {
        "deposit": deposit.key,
        "position": position,
        "payment_date": deposit.payment_date.isoformat(),
        "file": key,
        "line": payment.line_no,
        "record": f"TK{payment.tk}",
        "amount": payment.amount,
        "signed_amount": payment.signed_amount,
        "reference": payment.reference,
        "reference_code": payment.reference_code,
        "channel": payment.channel,
        "bgc_serial": payment.bgc_serial,
        "extra_references": [
            {"record": f"TK{x.tk}", "reference": x.reference, "amount": x.amount, "code": x.reference_code}
            for x in payment.extra_references
        ],
        "message": payment.message,
        "payer": {
            "bankgiro": format_bankgiro(payer.bankgiro) if payer.bankgiro else None,
            "name": payer.name,
            "organisation_number": payer.organisation_number or payer.organisation_number_raw,
        },
    }


class ImportBgMax:
    def __init__(
        self,
        *,
        tenants: Callable[[str], TenantAccount],
        invoices: InvoiceLedger,
        ocr: OcrIndex,
        ledger: BankLedger,
        settle: ApplyPaymentEvent,
        files: BankFiles,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.tenants = tenants
        self.ledger = ledger
        self.files = files
        self.clock = clock
        self.booking = _Booking(
            invoices=invoices, ocr=ocr, ledger=ledger, settle=settle, audit=audit, clock=clock
        )

    def __call__(self, key: str) -> ImportResult:
        tenant_id = tenant_of_inbox_key(key)
        conf = bank_settings(self.tenants(tenant_id))
        if conf is None:
            raise PermanentError(f"tenant {tenant_id} has no bankgiro number", field="tenant_id")
        body = self.files.read(key)
        digest = hashlib.sha256(body).hexdigest()
        try:
            parsed = parse_bgmax(body)
        except BgMaxParseError as exc:
            raise PermanentError(f"line {exc.line_no}: {exc.reason}", field=exc.field, code="parse") from exc
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
        if self.ledger.file_done(tenant_id, digest) is not None:
            return ImportResult(tenant_id, key, parsed.timestamp, already_imported=True)
        digests = {d.key: _deposit_digest(d) for d in parsed.deposits}
        for deposit in parsed.deposits:
            # A deposit is one line on the bank statement: booked once, whichever file brings it.
            known = self.ledger.deposit(tenant_id, deposit.key)
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
        self.ledger.mark_file(tenant_id, digest, result.to_dict(), self.clock.now())
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
        now = self.clock.now()
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
        stored = self.ledger.open_deposit(tenant_id, deposit.key, data, now)
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
            record = self.ledger.payment(tenant_id, payment_id)
            if record is None:
                parts = self.booking.plan(tenant_id, payment, conf)
                fresh = {
                    **_payment_record(deposit, position, payment, key),
                    "parts": parts,
                    "unmatched_amount": _unmatched_amount(parts),
                    "status": _status(parts),
                }
                record = self.ledger.create_payment(tenant_id, payment_id, fresh, now)
            record = self.booking.execute(tenant_id, payment_id, record)
            summary["payments"] += 1
            summary["booked"] += sum(1 for p in record["parts"] if p["kind"] != "unmatched")
            if record.get("unmatched_amount"):
                summary["unmatched"] += 1
                summary["unmatched_amount"] += int(record["unmatched_amount"])
        self.ledger.close_deposit(tenant_id, deposit.key, summary, now)
        counts["deposits"] += 1
        for name in ("payments", "booked", "unmatched", "unmatched_amount"):
            counts[name] += summary[name]


def unmatched_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """One line of `billing payments unmatched`: what an operator needs to find the invoice."""
    parts = [p for p in record.get("parts", []) if p["kind"] == "unmatched"]
    return {
        "payment": str(record["item_key"]).removeprefix("payment#"),
        "payment_date": record.get("payment_date"),
        "deposit": record.get("deposit"),
        "amount": sum(-int(p["amount"]) if p.get("credit") else int(p["amount"]) for p in parts),
        "record": record.get("record"),
        "reference": record.get("reference"),
        "references": sorted({r for p in parts for r in p.get("references", [])}),
        "reasons": [p["reason"] for p in parts],
        "message": record.get("message"),
        "payer": record.get("payer"),
    }


class UnmatchedPayments:
    def __init__(self, *, ledger: BankLedger) -> None:
        self.ledger = ledger

    def __call__(self, tenant_id: str) -> list[dict[str, Any]]:
        records = sorted(self.ledger.unmatched(tenant_id), key=lambda r: str(r["item_key"]))
        return [unmatched_view(r) for r in records]


class AssignPayment:
    """An operator books an unmatched payment on an invoice (or a deduction on a credit note)."""

    def __init__(
        self,
        *,
        tenants: Callable[[str], TenantAccount],
        invoices: InvoiceLedger,
        ocr: OcrIndex,
        ledger: BankLedger,
        settle: ApplyPaymentEvent,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.tenants = tenants
        self.invoices = invoices
        self.ocr = ocr
        self.ledger = ledger
        self.audit = audit
        self.clock = clock
        self.booking = _Booking(
            invoices=invoices, ocr=ocr, ledger=ledger, settle=settle, audit=audit, clock=clock
        )

    def _target(self, tenant_id: str, invoice: str) -> StoredInvoice:
        """An invoice id, its OCR number, or its number ("NM-000123")."""
        found = self.invoices.get(tenant_id, invoice) or self.ocr.find(tenant_id, invoice.strip())
        if found is None:
            conf = bank_settings(self.tenants(tenant_id))
            digits = "".join(ch for ch in invoice if ch.isdigit()).lstrip("0")
            if digits and conf is not None:
                try:
                    found = self.ocr.find(tenant_id, ocr_reference(digits, conf.length_digit))
                except OcrError:
                    found = None
        if found is None or found.tenant_id != tenant_id:
            raise PermanentError(f"no invoice {invoice!r} for this tenant", field="invoice")
        if found.invoice.currency != CURRENCY:
            raise PermanentError(
                f"the invoice is in {found.invoice.currency}, the payment in SEK", field="invoice"
            )
        return found

    def __call__(
        self, tenant_id: str, payment_id: str, invoice: str, actor_id: str | None = None
    ) -> dict[str, Any]:
        record = self.ledger.payment(tenant_id, payment_id)
        if record is None:
            raise PermanentError(f"no bank payment {payment_id!r}", field="payment")
        target = self._target(tenant_id, invoice)
        note = target.invoice.kind == CREDIT_NOTE
        open_parts = [p for p in record["parts"] if p["kind"] == "unmatched"]
        if not open_parts:
            mine = [
                p
                for p in record["parts"]
                if p.get("assigned_by") and p.get("invoice_id") == target.invoice_id
            ]
            if not mine:
                raise PermanentError("nothing of this payment is unmatched", field="payment")
            return self.booking.execute(tenant_id, payment_id, record)  # a retry: finish what it began
        for part in open_parts:
            if bool(part.get("credit")) != note:
                wanted = "a credit note" if part.get("credit") else "an invoice"
                raise PermanentError(f"this amount is booked on {wanted}", field="invoice")
        if note and sum(int(p["amount"]) for p in open_parts) > _credit_left(target):
            raise PermanentError("the credit note has less credit left than the deduction", field="invoice")
        now = self.clock.now()
        kind = "credit_note" if note else "invoice"

        def change(data: dict[str, Any]) -> dict[str, Any]:
            parts = [
                {**p, "kind": kind, "invoice_id": target.invoice_id, "assigned_by": actor_id or "operator",
                 "assigned_at": now.isoformat(), "unmatched_reason": p.get("reason")}
                if p["kind"] == "unmatched"
                else p
                for p in data["parts"]
            ]  # fmt: skip
            return {**data, "parts": parts, "assigned": True, "unmatched_amount": 0, "status": "assigned"}

        updated = self.ledger.update_payment(tenant_id, payment_id, change, now)
        assigned = [
            p for p in updated["parts"] if p.get("invoice_id") == target.invoice_id and p.get("assigned_by")
        ]
        if not assigned:
            raise PermanentError("another operator assigned this payment first", field="payment")
        self.audit.append(
            tenant_id,
            target.invoice_id,
            AuditEvent(
                "bank_payment_assigned",
                "operator",
                now,
                {
                    "payment": payment_id,
                    "amount": sum(int(p["amount"]) for p in assigned),
                    "reference": record.get("reference"),
                    "deposit": record.get("deposit"),
                },
                actor_id=actor_id,
            ),
        )
        return self.booking.execute(tenant_id, payment_id, updated)


class ReverseBankPayment:
    """Take a booked bank payment back: every invoice share it paid is owed again, once."""

    def __init__(
        self,
        *,
        ledger: BankLedger,
        settle: ApplyPaymentEvent,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.settle = settle
        self.audit = audit
        self.clock = clock

    def __call__(
        self, tenant_id: str, payment_id: str, reason: str, actor_id: str | None = None
    ) -> dict[str, Any]:
        record = self.ledger.payment(tenant_id, payment_id)
        if record is None:
            raise PermanentError(f"no bank payment {payment_id!r}", field="payment")
        if not reason.strip():
            raise PermanentError("say why the payment is taken back", field="reason")
        shares = [p for p in record["parts"] if p["kind"] == "invoice" and p.get("applied")]
        if not shares:
            raise PermanentError("this payment paid no invoice", field="payment")
        now = self.clock.now()
        for part in shares:
            ref = f"bgmax:{payment_id}:{part['n']}"
            reversal = PaymentReversed(
                event_id=f"{ref}:reversed",
                event_type="bgmax.payment.reversed",
                occurred_at=now,
                invoice_id=part["invoice_id"],
                payment_ref=ref,  # the settlement takes back exactly what this share paid, once
                amount=int(part["amount"]),
                currency=CURRENCY,
                reason=reason,
            )
            applied = self.settle(tenant_id, part["invoice_id"], reversal, "operator")
            if applied.outcome is not None:
                self.audit.append(
                    tenant_id,
                    part["invoice_id"],
                    AuditEvent(
                        "bank_payment_reversed",
                        "operator",
                        now,
                        {"payment": payment_id, "amount": part["amount"], "reason": reason},
                        actor_id=actor_id,
                    ),
                )

        def change(data: dict[str, Any]) -> dict[str, Any]:
            if data.get("reversed"):
                return data
            return {
                **data,
                "reversed": {"at": now.isoformat(), "reason": reason, "by": actor_id},
                "status": "reversed",
            }

        return self.ledger.update_payment(tenant_id, payment_id, change, now)
