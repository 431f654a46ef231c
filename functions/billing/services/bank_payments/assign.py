"""`AssignPayment(tenant, payment, invoice)`: an operator books an unmatched payment on an invoice (or a
deduction on a credit note); audited, then settled the same way as the import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing.domain.invoice import CREDIT_NOTE
from billing.domain.ocr import OcrError, ocr_reference
from billing.services.bank_payments.booking import (
    Booking,
    credit_left,
)
from billing.services.bank_payments.ports import (
    CURRENCY,
    bank_settings,
)
from billing.services.errors import PermanentError
from billing.services.ports import AuditEvent, StoredInvoice, TenantAccount


@dataclass(kw_only=True, eq=False)
class AssignPayment:
    """An operator books an unmatched payment on an invoice (or a deduction on a credit note)."""

    tenants: Callable[[str], TenantAccount]
    booking: Booking

    def _target(self, tenant_id: str, invoice: str) -> StoredInvoice:
        """An invoice id, its OCR number, or its number ("NM-000123")."""
        found = self.booking.invoices.get(tenant_id, invoice) or self.booking.ocr.find(
            tenant_id, invoice.strip()
        )
        if found is None:
            conf = bank_settings(self.tenants(tenant_id))
            digits = "".join(ch for ch in invoice if ch.isdigit()).lstrip("0")
            if digits and conf is not None:
                try:
                    found = self.booking.ocr.find(tenant_id, ocr_reference(digits, conf.length_digit))
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
        record = self.booking.ledger.payment(tenant_id, payment_id)
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
        if note and sum(int(p["amount"]) for p in open_parts) > credit_left(target):
            raise PermanentError("the credit note has less credit left than the deduction", field="invoice")
        now = self.booking.clock.now()
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

        updated = self.booking.ledger.update_payment(tenant_id, payment_id, change, now)
        assigned = [
            p for p in updated["parts"] if p.get("invoice_id") == target.invoice_id and p.get("assigned_by")
        ]
        if not assigned:
            raise PermanentError("another operator assigned this payment first", field="payment")
        self.booking.audit.append(
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
