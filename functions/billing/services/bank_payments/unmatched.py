"""`UnmatchedPayments(tenant)`: the bank payments no invoice took, as an operator works through them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing.services.bank_payments.ports import BankLedger


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


@dataclass(kw_only=True, eq=False)
class UnmatchedPayments:
    ledger: BankLedger

    def __call__(self, tenant_id: str) -> list[dict[str, Any]]:
        records = sorted(self.ledger.unmatched(tenant_id), key=lambda r: str(r["item_key"]))
        return [unmatched_view(r) for r in records]
