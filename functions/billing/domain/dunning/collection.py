"""The export an operator makes to hand selected invoices to a collection partner.

Only ever an operator's explicit action: nothing in the daily job calls this. The export refuses any
invoice that is not open and overdue, that has a question open, or whose customer has not yet been
reminded, and it returns one audit entry per invoice alongside the CSV text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from billing.domain.dunning.audit import Actor, AuditAction, AuditEntry
from billing.domain.dunning.errors import CollectionExportError
from billing.domain.dunning.interest import late_payment_interest
from billing.domain.dunning.policy import ReminderPolicy
from billing.domain.dunning.rates import ReferenceRates
from billing.domain.dunning.state import InvoiceDunningState, InvoiceStatus

CSV_COLUMNS = (
    "invoice_id",
    "customer_id",
    "customer_name",
    "ocr_reference",
    "currency",
    "amount_due_minor",
    "due_date",
    "reminder_fees_minor",
    "interest_minor",
    "interest_through",
    "reminders_sent",
    "last_reminder_on",
)

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CollectionCandidate:
    """An invoice the operator selected, with what the partner needs to identify the debt."""

    state: InvoiceDunningState
    customer_id: str
    customer_name: str
    ocr_reference: str


@dataclass(frozen=True)
class CollectionExport:
    csv_text: str
    audit_entries: tuple[AuditEntry, ...]


def collection_export(
    candidates: Sequence[CollectionCandidate],
    policy: ReminderPolicy,
    rates: ReferenceRates,
    operator_id: str,
    exported_at: datetime,
) -> CollectionExport:
    """CSV rows (header first, amounts in minor units) for the selected invoices, and their audit entries.

    `exported_at` must be timezone-aware, in the tenant's zone (Europe/Stockholm): its calendar day is
    the day interest is counted through. Raises `CollectionExportError` naming the first refused row,
    and `ReferenceRateMissing` if the rates file does not reach that day.
    """
    if not operator_id:
        raise CollectionExportError("operator_id", "an export is an operator's action and must name one")
    if exported_at.tzinfo is None or exported_at.utcoffset() is None:
        raise CollectionExportError("exported_at", "must be timezone-aware")
    if not candidates:
        raise CollectionExportError("candidates", "select at least one invoice")
    as_of = exported_at.date()
    seen: set[str] = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    entries: list[AuditEntry] = []
    for i, candidate in enumerate(candidates):
        state = candidate.state
        _require_exportable(candidate, i, as_of, seen)
        seen.add(state.invoice_id)
        interest = 0
        if policy.charge_interest:
            owed = late_payment_interest(state.amount_due_minor, state.due_date, as_of, rates)
            interest = owed.amount_minor
        fees = state.reminder_fees_charged_minor
        writer.writerow(
            [
                _cell(state.invoice_id),
                _cell(candidate.customer_id),
                _cell(candidate.customer_name),
                _cell(candidate.ocr_reference),
                state.currency,
                state.amount_due_minor,
                state.due_date.isoformat(),
                fees,
                interest,
                as_of.isoformat(),
                len(state.reminders_sent),
                state.reminders_sent[-1].sent_on.isoformat(),
            ]
        )
        entries.append(
            AuditEntry(
                invoice_id=state.invoice_id,
                action=AuditAction.EXPORTED_FOR_COLLECTION,
                at=exported_at,
                actor=Actor.OPERATOR,
                actor_id=operator_id,
                details={
                    "amount_due_minor": state.amount_due_minor,
                    "currency": state.currency,
                    "reminder_fees_minor": fees,
                    "interest_minor": interest,
                    "interest_through": as_of.isoformat(),
                },
            )
        )
    return CollectionExport(csv_text=buffer.getvalue(), audit_entries=tuple(entries))


def _require_exportable(candidate: CollectionCandidate, i: int, as_of: date, seen: set[str]) -> None:
    state = candidate.state
    field = f"candidates[{i}]"
    if state.invoice_id in seen:
        raise CollectionExportError(field, f"invoice {state.invoice_id} is selected twice")
    if state.status is not InvoiceStatus.OPEN:
        raise CollectionExportError(f"{field}.status", f"the invoice is {state.status.value}")
    if state.amount_due_minor == 0:
        raise CollectionExportError(f"{field}.amount_due_minor", "nothing is owed")
    if state.question_open:
        raise CollectionExportError(f"{field}.question_open", "answer the customer's question first")
    if not state.reminders_sent:
        raise CollectionExportError(f"{field}.reminders_sent", "the customer has not been reminded yet")
    if as_of <= state.due_date:
        raise CollectionExportError(f"{field}.due_date", "the invoice is not overdue")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
