"""Dunning that keeps the customer: gentle reminders within Swedish law, and relief the customer chooses.

Pure rules only (no I/O, no clock): the caller reads the tenant's policy and the reference-rate file,
builds an `InvoiceDunningState` per invoice and passes today's date. See docs/dunning.md.
"""

from __future__ import annotations

from billing.domain.dunning.audit import (
    Actor,
    AuditAction,
    AuditEntry,
    action_entry,
    due_date_moved_entry,
    instalment_plan_entry,
    reminders_paused_entry,
    reminders_resumed_entry,
)
from billing.domain.dunning.collection import (
    CSV_COLUMNS,
    CollectionCandidate,
    CollectionExport,
    collection_export,
)
from billing.domain.dunning.decision import (
    Decision,
    DoNothing,
    Reason,
    RetryMandateCharge,
    SendReminder,
    decide_next_action,
    question_pauses,
    reminder_fee_minor,
)
from billing.domain.dunning.errors import (
    CollectionExportError,
    DunningError,
    DunningStateError,
    ReferenceRateError,
    ReferenceRateMissing,
    ReminderPolicyError,
)
from billing.domain.dunning.interest import InterestSegment, LatePaymentInterest, late_payment_interest
from billing.domain.dunning.messages import ReliefOffer, ReminderMessage, choose_tone
from billing.domain.dunning.policy import (
    LEGAL_MAX_REMINDER_FEE_ORE,
    ReminderPolicy,
    ReminderStep,
    Tone,
)
from billing.domain.dunning.rates import ReferenceRate, ReferenceRates, parse_reference_rates
from billing.domain.dunning.relief import (
    Instalment,
    InstalmentPlan,
    ReliefRefusal,
    ReliefRefused,
    can_move_due_date,
    can_split,
    instalment_state,
    move_due_date,
    split_into_instalments,
    split_invoice,
)
from billing.domain.dunning.state import (
    CustomerHistory,
    InvoiceDunningState,
    InvoiceStatus,
    MandateAttempt,
    MandateOutcome,
    SentReminder,
)

__all__ = [
    "CSV_COLUMNS",
    "LEGAL_MAX_REMINDER_FEE_ORE",
    "Actor",
    "AuditAction",
    "AuditEntry",
    "CollectionCandidate",
    "CollectionExport",
    "CollectionExportError",
    "CustomerHistory",
    "Decision",
    "DoNothing",
    "DunningError",
    "DunningStateError",
    "Instalment",
    "InstalmentPlan",
    "InterestSegment",
    "InvoiceDunningState",
    "InvoiceStatus",
    "LatePaymentInterest",
    "MandateAttempt",
    "MandateOutcome",
    "Reason",
    "ReferenceRate",
    "ReferenceRateError",
    "ReferenceRateMissing",
    "ReferenceRates",
    "ReliefOffer",
    "ReliefRefusal",
    "ReliefRefused",
    "ReminderMessage",
    "ReminderPolicy",
    "ReminderPolicyError",
    "ReminderStep",
    "RetryMandateCharge",
    "SendReminder",
    "SentReminder",
    "Tone",
    "action_entry",
    "can_move_due_date",
    "can_split",
    "choose_tone",
    "collection_export",
    "decide_next_action",
    "due_date_moved_entry",
    "instalment_plan_entry",
    "instalment_state",
    "late_payment_interest",
    "move_due_date",
    "parse_reference_rates",
    "question_pauses",
    "reminder_fee_minor",
    "reminders_paused_entry",
    "reminders_resumed_entry",
    "split_into_instalments",
    "split_invoice",
]
