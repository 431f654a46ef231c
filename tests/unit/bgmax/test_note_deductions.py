"""What payers deducted of a credit note, typed (billing.domain.bgmax.deductions): the stored shape
reads and writes back the same, a deduction adds to the total, unknown keys stay."""

from __future__ import annotations

from datetime import UTC, datetime

from billing.domain.bgmax.deductions import NoteDeductions, note_deductions

AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
STORED = {"deducted": {"bgmax:50501055-20261125-00003-006:1": 5000}, "deducted_at": AT.isoformat()}


def test_the_stored_shape_reads_and_writes_back_the_same() -> None:
    deductions = note_deductions({"bank": STORED})
    assert deductions.to_record() == STORED and deductions.total == 5000
    assert note_deductions({}) == NoteDeductions() and NoteDeductions().total == 0


def test_a_deduction_adds_to_the_total_and_keeps_what_it_does_not_know() -> None:
    deductions = note_deductions({"bank": {**STORED, "checked_by": "operator"}})
    after = deductions.with_deduction("bgmax:x:2", 1500, AT)
    assert after.total == 6500 and after.deducted_at == AT
    assert after.to_record()["checked_by"] == "operator"
    assert NoteDeductions.from_record(after.to_record()) == after
