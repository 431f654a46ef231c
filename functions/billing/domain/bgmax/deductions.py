"""What payers deducted of a credit note in their bank payments (`state["bank"]` on the credit note),
typed: each deduction's amount by its reference, so a repeated import deducts nothing twice and no
payer deducts more than the note credits. Written by billing.adapters.dynamo.bank_payments; read by the
bank payments' booking. Read from and written to the stored JSON here alone, in the shape stored before
it had a type; a key this type does not know is kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from billing.domain.stored import moment, put, unknown


@dataclass(frozen=True)
class NoteDeductions:
    deducted: Mapping[str, int] = field(default_factory=dict)  # deduction reference -> öre
    deducted_at: datetime | None = None  # the last one
    other: Mapping[str, Any] = field(default_factory=dict)  # keys this type does not know, as stored

    @property
    def total(self) -> int:
        return sum(self.deducted.values())

    def with_deduction(self, ref: str, amount: int, now: datetime) -> NoteDeductions:
        return replace(self, deducted={**self.deducted, ref: amount}, deducted_at=now)

    @classmethod
    def from_record(cls, raw: Mapping[str, Any] | None) -> NoteDeductions:
        raw = raw or {}
        return cls(
            deducted={str(k): int(v) for k, v in (raw.get("deducted") or {}).items()},
            deducted_at=moment(raw, "deducted_at"),
            other=unknown(raw, cls),
        )

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.other, "deducted": dict(self.deducted)}
        put(out, "deducted_at", self.deducted_at.isoformat() if self.deducted_at else None)
        return out


def note_deductions(state: Mapping[str, Any]) -> NoteDeductions:
    """The deductions part of a credit note's state (none until a payer deducts from it)."""
    return NoteDeductions.from_record(state.get("bank"))
