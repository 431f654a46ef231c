"""Audit-trail entries, and the operator's export for a collection partner (never automatic)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from dunning_builders import DUE, RATES, a_policy, an_invoice

from billing.domain.dunning import (
    CSV_COLUMNS,
    Actor,
    AuditAction,
    AuditEntry,
    CollectionCandidate,
    CollectionExportError,
    DunningError,
    InvoiceStatus,
    RetryMandateCharge,
    SendReminder,
    SentReminder,
    action_entry,
    collection_export,
    decide_next_action,
    due_date_moved_entry,
    instalment_plan_entry,
    move_due_date,
    reminders_paused_entry,
    reminders_resumed_entry,
    split_invoice,
)

STOCKHOLM_WINTER = timezone(timedelta(hours=1))
EXPORTED_AT = datetime(2025, 4, 23, 10, 30, tzinfo=STOCKHOLM_WINTER)


# --- Audit entries ---------------------------------------------------------------------------------


def test_an_audit_entry_says_what_when_and_by_whom_and_stores_as_json() -> None:
    entry = AuditEntry(
        invoice_id="inv-1",
        action=AuditAction.DUE_DATE_MOVED,
        at=datetime(2025, 3, 10, 8, 0, tzinfo=UTC),
        actor=Actor.CUSTOMER,
        actor_id="cust-9",
        details={"from": "2025-03-14", "to": "2025-03-28"},
    )
    assert entry.to_json() == {
        "invoice_id": "inv-1",
        "action": "due_date_moved",
        "at": "2025-03-10T08:00:00+00:00",
        "actor": "customer",
        "actor_id": "cust-9",
        "details": {"from": "2025-03-14", "to": "2025-03-28"},
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"at": datetime(2025, 3, 10, 8, 0)}, "at"),
        ({"actor": Actor.OPERATOR, "actor_id": None}, "actor_id"),
        ({"actor": Actor.SYSTEM, "actor_id": "someone"}, "actor_id"),
        ({"details": {"fee": 12.5}}, "details.fee"),
        ({"invoice_id": ""}, "invoice_id"),
    ],
)
def test_an_incomplete_audit_entry_is_refused(overrides: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "invoice_id": "inv-1",
        "action": AuditAction.REMINDER_SENT,
        "at": datetime(2025, 3, 10, 8, 0, tzinfo=UTC),
        "actor": Actor.CUSTOMER,
        "actor_id": "cust-9",
    }
    fields.update(overrides)
    with pytest.raises(DunningError) as error:
        AuditEntry(**fields)  # type: ignore[arg-type]
    assert error.value.field == field


def test_audit_details_cannot_be_changed_after_the_fact() -> None:
    details = {"step": 1}
    entry = AuditEntry(
        "inv-1", AuditAction.REMINDER_SENT, datetime(2025, 3, 10, tzinfo=UTC), Actor.SYSTEM, None, details
    )
    details["step"] = 2
    assert entry.details["step"] == 1
    with pytest.raises(TypeError):
        entry.details["step"] = 3  # type: ignore[index]


# --- Collection export -----------------------------------------------------------------------------


def _candidate(**overrides: object) -> CollectionCandidate:
    state = an_invoice(
        reminders_sent=(
            SentReminder(1, DUE + timedelta(days=5)),
            SentReminder(2, DUE + timedelta(days=20), 6000),
        ),
        **overrides,
    )
    return CollectionCandidate(
        state=state, customer_id="cust-9", customer_name="Anna Andersson", ocr_reference="4242"
    )


def test_the_export_lists_each_selected_invoice_with_interest_to_the_day_and_audits_it() -> None:
    # Given one overdue invoice the operator selected, reminded twice (60 kr in fees)
    # When exported on 23 April 2025 (40 days late: 125 000 × 0,11 × 40 / 365 = 1 506,8… → 1 506)
    export = collection_export(
        [_candidate()], a_policy(), RATES, operator_id="op-anna", exported_at=EXPORTED_AT
    )
    # Then a header and one row, amounts in minor units
    rows = list(csv.DictReader(io.StringIO(export.csv_text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows == [
        {
            "invoice_id": "inv-2025-0042",
            "customer_id": "cust-9",
            "customer_name": "Anna Andersson",
            "ocr_reference": "4242",
            "currency": "SEK",
            "amount_due_minor": "125000",
            "due_date": "2025-03-14",
            "reminder_fees_minor": "6000",
            "interest_minor": "1506",
            "interest_through": "2025-04-23",
            "reminders_sent": "2",
            "last_reminder_on": "2025-04-03",
        }
    ]
    # Then the trail records the operator's action
    (entry,) = export.audit_entries
    assert (entry.action, entry.actor, entry.actor_id, entry.at) == (
        AuditAction.EXPORTED_FOR_COLLECTION,
        Actor.OPERATOR,
        "op-anna",
        EXPORTED_AT,
    )
    assert entry.details["interest_minor"] == 1506


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_neutralised() -> None:
    candidate = _candidate()
    candidate = CollectionCandidate(candidate.state, "cust-9", '=HYPERLINK("x")', "4242")
    export = collection_export([candidate], a_policy(), RATES, "op-anna", EXPORTED_AT)
    assert next(csv.DictReader(io.StringIO(export.csv_text)))["customer_name"] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"status": InvoiceStatus.PAID}, "candidates[0].status"),
        ({"status": InvoiceStatus.DISPUTED}, "candidates[0].status"),
        ({"question_open": True}, "candidates[0].question_open"),
        ({"amount_due_minor": 0}, "candidates[0].amount_due_minor"),
        ({"original_due_date": EXPORTED_AT.date()}, "candidates[0].due_date"),
    ],
)
def test_an_invoice_that_must_not_go_to_collection_is_refused(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(CollectionExportError) as error:
        collection_export([_candidate(**overrides)], a_policy(), RATES, "op-anna", EXPORTED_AT)
    assert error.value.field == field


def test_an_invoice_never_reminded_is_refused() -> None:
    candidate = CollectionCandidate(an_invoice(), "cust-9", "Anna", "4242")
    with pytest.raises(CollectionExportError) as error:
        collection_export([candidate], a_policy(), RATES, "op-anna", EXPORTED_AT)
    assert error.value.field == "candidates[0].reminders_sent"


@pytest.mark.parametrize(
    ("candidates", "operator_id", "exported_at", "field"),
    [
        ([], "op-anna", EXPORTED_AT, "candidates"),
        ([_candidate()], "", EXPORTED_AT, "operator_id"),
        ([_candidate()], "op-anna", EXPORTED_AT.replace(tzinfo=None), "exported_at"),
        ([_candidate(), _candidate()], "op-anna", EXPORTED_AT, "candidates[1]"),
    ],
)
def test_an_export_needs_a_named_operator_a_time_and_distinct_invoices(
    candidates: list[CollectionCandidate], operator_id: str, exported_at: datetime, field: str
) -> None:
    with pytest.raises(CollectionExportError) as error:
        collection_export(candidates, a_policy(), RATES, operator_id, exported_at)
    assert error.value.field == field


# --- Builders for the trail ------------------------------------------------------------------------

AT = datetime(2025, 3, 19, 6, 0, tzinfo=UTC)


def test_a_sent_reminder_is_recorded_with_its_step_fee_interest_and_tone() -> None:
    decision = decide_next_action(an_invoice(), a_policy(), RATES, DUE + timedelta(days=5))
    assert isinstance(decision, SendReminder)
    entry = action_entry(decision, AT)
    assert (entry.action, entry.actor, entry.actor_id) == (AuditAction.REMINDER_SENT, Actor.SYSTEM, None)
    assert dict(entry.details) == {
        "step": 1,
        "tone": "friendly",
        "currency": "SEK",
        "fee_minor": 0,
        "interest_minor": 188,
        "interest_through": "2025-03-19",
    }


def test_a_reminder_without_a_rate_on_file_records_why_there_is_no_interest() -> None:
    late = an_invoice(original_due_date=date(2026, 6, 25))
    decision = decide_next_action(late, a_policy(), RATES, date(2026, 7, 1))
    assert isinstance(decision, SendReminder)
    details = action_entry(decision, AT).details
    assert "interest_minor" not in details
    assert "2026-07-01" in str(details["interest_unavailable"])


def test_a_mandate_retry_is_recorded_with_its_idempotency_key() -> None:
    entry = action_entry(RetryMandateCharge("inv-1", 2), AT)
    assert entry.action is AuditAction.MANDATE_RETRY_REQUESTED
    assert dict(entry.details) == {"attempt": 2, "idempotency_key": "inv-1:charge:2"}


def test_customer_relief_is_recorded_as_the_customers_action() -> None:
    before = an_invoice()
    after = move_due_date(before, DUE + timedelta(days=7), a_policy(), DUE)
    moved = due_date_moved_entry(before, after, "cust-9", AT)
    assert (moved.actor, moved.actor_id) == (Actor.CUSTOMER, "cust-9")
    assert dict(moved.details) == {"from": "2025-03-14", "to": "2025-03-21"}

    plan = split_invoice(before, 2, DUE, a_policy(), DUE)
    split = instalment_plan_entry(plan, "cust-9", AT)
    assert split.action is AuditAction.SPLIT_INTO_INSTALMENTS
    assert split.details["total_minor"] == before.amount_due_minor
    assert split.details["instalment_2"] == "inv-2025-0042:inst:2 62500 2025-04-14"


def test_pauses_and_resumptions_are_recorded_by_the_system() -> None:
    paused = reminders_paused_entry("inv-1", "question_open", AT)
    resumed = reminders_resumed_entry("inv-1", date(2025, 3, 22), AT)
    assert paused.action is AuditAction.REMINDERS_PAUSED
    assert dict(paused.details) == {"reason": "question_open"}
    assert resumed.action is AuditAction.REMINDERS_RESUMED
    assert dict(resumed.details) == {"resume_on": "2025-03-22"}
