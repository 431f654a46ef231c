"""Planning and carrying out the bookings of one bank payment (which invoice, instalment or credit note
each amount goes to, or why none): shared by the import and the operator's assignment."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from billing.domain.bgmax.deductions import note_deductions
from billing.domain.bgmax.matching import Claim, allocate, check_reference, claims_of
from billing.domain.bgmax.records import Deposit, Payment, deposit_to_jsonable, format_bankgiro
from billing.domain.invoice import CREDIT_NOTE
from billing.domain.payments import PaymentSucceeded
from billing.services.bank_payments.ports import (
    CURRENCY,
    BankLedger,
    BankSettings,
    DeductionResult,
    OcrIndex,
    booked_at,
)
from billing.services.ports import AuditEvent, AuditTrail, Clock, StoredInvoice, StoredInvoices
from billing.services.settlement import ApplyPaymentEvent


def deposit_digest(deposit: Deposit) -> str:
    return hashlib.sha256(json.dumps(deposit_to_jsonable(deposit), sort_keys=True).encode()).hexdigest()


def unmatched_amount(parts: list[dict[str, Any]]) -> int:
    return sum(int(p["amount"]) for p in parts if p["kind"] == "unmatched")


def payment_status(parts: list[dict[str, Any]], assigned: bool = False) -> str:
    if unmatched_amount(parts):
        return "unmatched"
    return "assigned" if assigned else "booked"


@dataclass(kw_only=True, eq=False)
class Booking:
    """Planning and carrying out the bookings of one payment; shared by the import and the operator."""

    invoices: StoredInvoices
    ocr: OcrIndex
    ledger: BankLedger
    settle: ApplyPaymentEvent
    audit: AuditTrail
    clock: Clock

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
                if credit_left(note) >= claim.amount:
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
                "unmatched_amount": unmatched_amount(parts),
                "status": payment_status(parts, assigned=bool(data.get("assigned"))),
            }

        return self.ledger.update_payment(tenant_id, payment_id, change, self.clock.now())


def credit_left(note: StoredInvoice) -> int:
    return -note.invoice.total - note_deductions(note.state).total


def payment_record(deposit: Deposit, position: int, payment: Payment, key: str) -> dict[str, Any]:
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
