"""The invoice's Stripe record, typed (billing.domain.payments.invoice_record): every record stored in the
shape written before it had a type reads and writes back to the same JSON, so an unchanged record is
never written again; what it does not know is kept; a credit note's email claim reads as a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from billing.domain.payments import (
    ChargeRecord,
    CreditNoteEntry,
    StripeInvoiceRecord,
    stripe_record,
)

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

# Shapes the payments module has written (start_payment, collect_due_payments, process_stripe_event,
# payment_control, the autopay at issue), key for key.
STORED: list[dict[str, Any]] = [
    {},
    {"autopay": "active", "autopay_at": AT.isoformat()},
    {
        "checkout": {
            "attempt": 2, "session_id": "cs_test_a2", "url": "https://checkout.stripe.com/c/pay/cs_test_a2",
            "amount": 22400, "created_at": AT.isoformat(), "payments_seen": 1,
        },
        "payments_attempts": 2,
        "refs": ["cs_test_a1", "cs_test_a2"],
    },
    {
        "setup": {
            "attempt": 1, "session_id": "cs_test_s1", "url": "https://checkout.stripe.com/c/pay/cs_test_s1",
            "amount": 0, "created_at": AT.isoformat(), "payments_seen": 0,
        },
        "refs": ["cs_test_s1"],
        "autopay": "active",
        "autopay_at": AT.isoformat(),
        "charge": {
            "attempt": 1, "status": "retry", "payment_ref": "pi_1", "failure_code": "card_declined",
            "decline_code": "insufficient_funds", "at": AT.isoformat(), "next_attempt": 2,
            "retry_on": "2026-11-26",
        },
    },
    {
        "autopay": "stopped",
        "fallback": "retries_exhausted",
        "charge": {
            "attempt": 3, "status": "fall_back", "payment_ref": None, "failure_code": "card_declined",
            "decline_code": None, "at": AT.isoformat(), "fallback": "retries_exhausted",
        },
    },
    {
        "credit_notes": [
            {"number": "2026-000042-K1", "amount": 1000, "issued_at": AT.isoformat(), "emailed": True},
            {"number": "2026-000042-K2", "amount": 500, "issued_at": AT.isoformat(),
             "emailed": f"sending:{AT.isoformat()}", "document": {"kind": "credit_note", "total": -500}},
            {"number": "2026-000042-K3", "amount": 250, "issued_at": AT.isoformat(), "emailed": False},
        ],
        "credited_total": 1750,
    },
]  # fmt: skip


@pytest.mark.parametrize("stored", STORED, ids=range(len(STORED)))
def test_a_stored_record_reads_and_writes_back_the_same(stored: dict[str, Any]) -> None:
    record = StripeInvoiceRecord.from_record(stored)
    assert record.to_record() == stored
    assert StripeInvoiceRecord.from_record(record.to_record()) == record


def test_what_the_type_does_not_know_is_kept() -> None:
    stored = {"autopay": "active", "note_from_an_operator": {"why": "checked by hand"}}
    record = stripe_record({"stripe": stored})
    assert record.other == {"note_from_an_operator": {"why": "checked by hand"}}
    assert record.stopped("mandate_inactive").to_record() == {
        "autopay": "stopped",
        "fallback": "mandate_inactive",
        "note_from_an_operator": {"why": "checked by hand"},
    }


def test_the_parts_read_as_values() -> None:
    record = StripeInvoiceRecord.from_record(STORED[3])
    assert record.autopay_active and record.setup is not None and record.setup.created_at == AT
    assert record.charge == ChargeRecord(
        attempt=1, status="retry", payment_ref="pi_1", failure_code="card_declined",
        decline_code="insufficient_funds", at=AT, next_attempt=2, retry_on=date(2026, 11, 26),
    )  # fmt: skip
    assert record.charge is not None and not record.charge.done
    notes = StripeInvoiceRecord.from_record(STORED[5]).credit_notes
    assert [(n.emailed, n.sending_since) for n in notes] == [(True, None), (False, AT), (False, None)]


def test_refs_keep_the_newest_twenty() -> None:
    record = StripeInvoiceRecord()
    for n in range(25):
        record = record.with_ref(f"pi_{n}")
    assert record.refs == tuple(f"pi_{n}" for n in range(5, 25))


def test_a_claim_released_or_sent_leaves_no_time_behind() -> None:
    claimed = CreditNoteEntry("K1", 100, AT, sending_since=AT + timedelta(minutes=1))
    assert claimed.to_record()["emailed"] == f"sending:{(AT + timedelta(minutes=1)).isoformat()}"
    assert CreditNoteEntry("K1", 100, AT, emailed=True).to_record()["emailed"] is True
    assert CreditNoteEntry("K1", 100, AT).to_record()["emailed"] is False
