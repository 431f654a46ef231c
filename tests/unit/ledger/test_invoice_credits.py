"""The credit notes issued against an invoice, typed (billing.domain.invoice_credits): the shape the
issuing transaction stores reads and writes back the same; a note adds its total; unknown keys stay."""

from __future__ import annotations

from datetime import UTC, date, datetime

from billing.domain.invoice_credits import CreditRef, InvoiceCredits, invoice_credits

STORED = {
    "notes": [
        {
            "invoice_id": "cn_1", "number": "K2026-000001", "amount": 3800, "applied": 3800, "to_balance": 0,
            "issued_at": "2026-12-04T09:30:00+00:00", "issue_date": "2026-12-04", "page_token": "t" * 32,
        },
    ],
    "credited_total": 3800,
}  # fmt: skip


def test_the_stored_shape_reads_and_writes_back_the_same() -> None:
    credits = invoice_credits({"credits": STORED})
    assert credits.to_record() == STORED
    assert credits.note("cn_1") == CreditRef(
        "cn_1",
        "K2026-000001",
        3800,
        3800,
        0,
        datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
        date(2026, 12, 4),
        "t" * 32,
    )
    assert credits.note("cn_2") is None


def test_a_second_note_is_added_after_the_first_with_its_total() -> None:
    first = invoice_credits({"credits": {**STORED, "checked": True}})
    second = CreditRef(
        "cn_2", None, 1000, 0, 1000, datetime(2026, 12, 5, tzinfo=UTC), date(2026, 12, 5), "u" * 32
    )
    after = first.with_note(second)
    assert [n.invoice_id for n in after.notes] == ["cn_1", "cn_2"] and after.credited_total == 4800
    assert after.to_record()["checked"] is True
    assert InvoiceCredits.from_record(after.to_record()) == after
    assert invoice_credits({}) == InvoiceCredits()
