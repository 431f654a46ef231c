"""The credit notes issued against an invoice (`state["credits"]`), typed: each note's number, amount,
what it took off the invoice and what went to the customer's balance, and the page it has.

Written with the note, in the transaction that issues it (billing.adapters.dynamo.ledger_documents);
read by the merchant's API and the invoice's page. Read from and written to the stored JSON here alone,
in the shape stored before it had a type; a key this type does not know is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from billing.domain.stored import text, unknown


@dataclass(frozen=True)
class CreditRef:
    """One credit note of the invoice."""

    invoice_id: str  # the credit note's own id
    number: str | None
    amount: int  # minor units credited (positive)
    applied: int  # taken off what the invoice was owed
    to_balance: int  # beyond what was owed: added to the customer's balance
    issued_at: datetime
    issue_date: date
    page_token: str

    @classmethod
    def from_record(cls, raw: Mapping[str, Any]) -> CreditRef:
        return cls(
            invoice_id=str(raw["invoice_id"]),
            number=text(raw, "number"),
            amount=int(raw["amount"]),
            applied=int(raw.get("applied", 0)),
            to_balance=int(raw.get("to_balance", 0)),
            issued_at=datetime.fromisoformat(str(raw["issued_at"])),
            issue_date=date.fromisoformat(str(raw["issue_date"])),
            page_token=str(raw["page_token"]),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "invoice_id": self.invoice_id,
            "number": self.number,
            "amount": self.amount,
            "applied": self.applied,
            "to_balance": self.to_balance,
            "issued_at": self.issued_at.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "page_token": self.page_token,
        }


@dataclass(frozen=True)
class InvoiceCredits:
    notes: tuple[CreditRef, ...] = ()  # oldest first
    credited_total: int = 0  # minor units credited by all the notes together (positive)
    other: Mapping[str, Any] = field(default_factory=dict)  # keys this type does not know, as stored

    def note(self, credit_note_id: str) -> CreditRef | None:
        return next((n for n in self.notes if n.invoice_id == credit_note_id), None)

    def with_note(self, ref: CreditRef) -> InvoiceCredits:
        """`ref` added, and its amount to the credited total."""
        return replace(self, notes=(*self.notes, ref), credited_total=self.credited_total + ref.amount)

    @classmethod
    def from_record(cls, raw: Mapping[str, Any] | None) -> InvoiceCredits:
        raw = raw or {}
        return cls(
            notes=tuple(CreditRef.from_record(n) for n in raw.get("notes") or ()),
            credited_total=int(raw.get("credited_total", 0)),
            other=unknown(raw, cls),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            **self.other,
            "notes": [n.to_record() for n in self.notes],
            "credited_total": self.credited_total,
        }


def invoice_credits(state: Mapping[str, Any]) -> InvoiceCredits:
    """The credit notes part of an invoice's state (empty until a note is issued against it)."""
    return InvoiceCredits.from_record(state.get("credits"))
