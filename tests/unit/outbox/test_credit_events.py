"""A credit note's two events (billing.domain.invoice_events): credit_note.issued on the note's own
stream and invoice.credited on the credited invoice's, both in the catalog's shape, and the audit
trail they imply adds up to what each document is owed and what the customer's balance received."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.domain.audit_trail import KIND_BALANCE, accounted_amount_due, money_entries
from billing.domain.credit import credit_note
from billing.domain.invoice_events import credited_event, issued_event
from billing.domain.outbox import invoice_stream
from billing.services.outbox.catalog import BY_NAME, Envelope
from tests.unit.page.builders import invoice

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("paid", "status_after"),
    [
        (False, "credited"),  # unpaid: the whole note comes off what is owed, nothing is left
        (True, "paid"),  # paid: the note goes to the balance, the invoice stays paid
    ],
)
def test_a_credit_notes_events_match_the_catalog_and_the_audit_adds_up(paid, status_after):
    # Given an invoice credited whole (what the credit-note use case decides: billing.services.credit_notes)
    credited = invoice()
    note = credit_note(credited, issue_date=date(2026, 12, 4), reason="Fel taxa").with_number(
        "NM-K000001", None
    )
    credit = -note.total
    assert credit == credited.total
    amount_paid = credited.total if paid else 0
    due, status = credited.total - amount_paid, ("paid" if paid else "open")
    applied = 0 if paid else credit  # a paid invoice owes nothing more: all of it goes to the balance

    issued = issued_event(credited, NOW)
    note_event = issued_event(note, NOW, event_type="credit_note.issued")
    event = credited_event(
        credited,
        note,
        seq=issued.seq + 1,
        before=(due, amount_paid, status),
        applied=applied,
        to_balance=credit - applied,
        status_after=status_after,
        now=NOW,
    )

    # The events are in the catalog, with the payloads its models accept, on the right streams
    for e in (issued, note_event, event):
        BY_NAME[e.event_type].payload.model_validate(e.payload)
        Envelope.model_validate(e.envelope())
    assert note_event.stream == invoice_stream(note.invoice_id) and note_event.seq == 1
    assert note_event.payload["credits"] == credited.invoice_id
    assert event.stream == invoice_stream(credited.invoice_id) and event.seq == 2
    assert event.payload["status"] == status_after

    # The credited invoice's trail moves by exactly what the note took off what was owed
    assert accounted_amount_due(money_entries(event)) == -applied
    if not paid:
        assert accounted_amount_due(money_entries(issued) + money_entries(event)) == 0  # fully credited
    # What the note took off, and what went to the balance, are the note's amount, öre for öre
    credit_entries = money_entries(event)
    to_balance = sum(e.change for e in credit_entries if e.kind == KIND_BALANCE)
    assert -sum(e.change for e in credit_entries if e.kind != KIND_BALANCE) + to_balance == credit
    # The note's own trail is its issue: what it gives back, nothing owed on it
    note_entries = money_entries(note_event)
    assert accounted_amount_due(note_entries) == note.amount_due == note.total < 0
