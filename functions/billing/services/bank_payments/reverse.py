"""`ReverseBankPayment(tenant, payment, reason)`: the money went back to the payer; each invoice share it
paid is owed again through the settlement's own reversal, once, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.domain.payments import PaymentReversed
from billing.services.bank_payments.ports import (
    CURRENCY,
    BankLedger,
)
from billing.services.errors import PermanentError
from billing.services.ports import AuditEvent, AuditTrail, Clock
from billing.services.settlement import ApplyPaymentEvent


@dataclass(kw_only=True, eq=False)
class ReverseBankPayment:
    """Take a booked bank payment back: every invoice share it paid is owed again, once."""

    ledger: BankLedger
    settle: ApplyPaymentEvent
    audit: AuditTrail
    clock: Clock

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
