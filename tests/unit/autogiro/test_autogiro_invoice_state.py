"""An invoice's Autogiro state, typed (billing.domain.autogiro.invoice_state): every state stored in the
shape written before it had a type reads and writes back the same JSON; each flow's change does what
the flow wrote by hand before (the same keys set and removed); what the type does not know is kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from billing.domain.autogiro.invoice_state import AutogiroInvoiceState, DebitAttempt, autogiro_invoice_state
from billing.domain.autogiro.outcomes import Reason

DUE = date(2026, 12, 1)
TOLD = date(2026, 11, 20)
REASON = Reason("02", "The mandate was cancelled by the payer or the payer's bank.")

# Shapes the Autogiro module has written (the form, the export, the report import, the issue), key
# for key, and one from before the catalogs worded Bankgirot's reasons.
STORED: list[dict[str, Any]] = [
    {},
    {"mandate": {"status": "pending", "reason": None}},
    {
        "mandate": {"status": "approved", "reason": None}, "active": True, "debit_date": "2026-12-01",
        "notified_on": "2026-11-20", "payer_number": "4711",
    },
    {
        "mandate": {"status": "approved", "reason": None}, "active": True, "debit_date": "2026-12-01",
        "notified_on": "2026-11-20", "payer_number": "4711",
        "sent": {"file": "autogiro/outbox/t/LB.1", "payment_date": "2026-12-01", "amount": 22400},
        "attempts": [{"attempt": 1, "on": "2026-12-01", "outcome": "pending"}],
    },
    {
        "mandate": {"status": "approved", "reason": None}, "active": True, "notified_on": "2026-11-20",
        "payer_number": "4711",
        "failed": {"payment_date": "2026-12-01", "kind": "failed", "code": "01", "message": "No money."},
        "attempts": [{"attempt": 1, "on": "2026-12-01", "outcome": "failed"}],
    },
    {
        "mandate": {"status": "cancelled", "reason": {"code": "02", "message": REASON.message}},
        "payer_number": "4711",
        "settled": {"payment_date": "2026-12-01", "amount": 22400},
        "reversed": {"payment_date": "2026-12-01", "amount": 22400, "code": "03", "message": "Taken back."},
    },
    {"mandate": {"status": "sent"}, "failed": {"sv": "Täckning saknas", "en": "Not enough money"}},
]  # fmt: skip


@pytest.mark.parametrize("stored", STORED[:-1], ids=range(len(STORED) - 1))
def test_a_stored_state_reads_and_writes_back_the_same(stored: dict[str, Any]) -> None:
    state = AutogiroInvoiceState.from_record(stored)
    assert state.to_record() == stored
    assert AutogiroInvoiceState.from_record(state.to_record()) == state


def test_a_state_from_the_first_versions_reads_with_its_words() -> None:
    state = autogiro_invoice_state({"autogiro": STORED[-1]})
    assert state.failed is not None and state.failed.payment_date is None
    assert state.failed.reason is not None and (state.failed.reason.sv, state.failed.reason.en) == (
        "Täckning saknas",
        "Not enough money",
    )
    assert state.mandate_status == "sent" and not state.in_force and not state.waiting
    assert state.to_record()["failed"] == STORED[-1]["failed"]


def test_a_debit_told_ordered_failed_and_told_again() -> None:
    # Given a mandate given on the page, then approved, and the debit date told
    state = AutogiroInvoiceState().with_mandate("pending")
    assert state.waiting and state.in_force
    state = state.announced("4711", DUE, TOLD)
    assert state.to_record() == STORED[2]
    # When the debit is ordered in a file, then it is sent with a pending attempt
    state = state.ordered("autogiro/outbox/t/LB.1", DUE, 22400)
    assert state.to_record() == STORED[3]
    # When Bankgirot reports it failed, then the date no longer holds and the attempt failed
    failed = state.debit_failed(DUE, "failed", Reason("01", "No money."))
    assert failed.to_record() == STORED[4] and not failed.in_force
    # When the reminder flow asks again, then the date is told anew and the failure is behind it
    again = failed.announced("4711", date(2026, 12, 10), date(2026, 12, 3))
    assert again.failed is None and again.active and again.attempts == failed.attempts
    # When the second debit settles, then its attempt succeeded
    settled = again.ordered("autogiro/outbox/t/LB.2", date(2026, 12, 10), 22400).settled_by(
        date(2026, 12, 10), 22400
    )
    assert [a.outcome for a in settled.attempts] == ["failed", "succeeded"]
    assert settled.attempts[1] == DebitAttempt(2, date(2026, 12, 10), "succeeded")


def test_a_mandate_ended_before_the_debit_withdraws_the_date() -> None:
    told = AutogiroInvoiceState.from_record(STORED[2])
    withdrawn = told.withdrawn("cancelled", None)
    assert withdrawn.to_record() == {
        "mandate": {"status": "cancelled", "reason": None},
        "payer_number": "4711",
    }


def test_what_the_type_does_not_know_is_kept() -> None:
    stored = {**STORED[2], "checked_by": "operator"}
    state = AutogiroInvoiceState.from_record(stored)
    assert state.taken_back(DUE, 22400, REASON).to_record()["checked_by"] == "operator"
