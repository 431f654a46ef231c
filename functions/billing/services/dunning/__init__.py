"""The daily dunning job and the operator's answer to a question: gentle reminders within the law.

`SendReminders(tenant_id, today)` walks the tenant's open invoices due on or before `today`, builds
each one's `InvoiceDunningState` from what is stored, asks `decide_next_action` and carries out at most
one action per invoice: record a pause or a resume once, request a mandate retry, or send a reminder.
Every action is first recorded in `state["dunning"]` with a version-checked write, and only the run
that recorded it acts: a retried or repeated run the same day sends nothing twice. See docs/dunning.md.

The package, a module per concern: `state` (from what is stored to what the rules read), `ports`,
`send_reminders` (the daily job), `answer_question`, `export_for_collection`, `page` (what the
invoice page shows of dunning).
"""

from __future__ import annotations

from billing.services.dunning.answer_question import (
    AnswerQuestion,
)
from billing.services.dunning.export_for_collection import (
    ExportForCollection,
)
from billing.services.dunning.ports import (
    DunningMail,
    DunningStore,
    Email,
    MandateRetrier,
    RecordedRetries,
)
from billing.services.dunning.send_reminders import (
    DunningRunSummary,
    SendReminders,
    message_record,
)
from billing.services.dunning.state import (
    DEFAULT_POLICY,
    SAVE_ATTEMPTS,
    STOCKHOLM,
    answered_on,
    audit_event,
    customer_history,
    dunning_of,
    dunning_state,
    fee_agreed,
    local_today,
    mandate_attempts,
    page_relief_state,
    pays_by_mandate,
    policy_of,
    question_open_since,
    reply_address,
    was_late,
)

__all__ = [
    "DEFAULT_POLICY",
    "SAVE_ATTEMPTS",
    "STOCKHOLM",
    "AnswerQuestion",
    "DunningMail",
    "DunningRunSummary",
    "DunningStore",
    "Email",
    "ExportForCollection",
    "MandateRetrier",
    "RecordedRetries",
    "SendReminders",
    "answered_on",
    "audit_event",
    "customer_history",
    "dunning_of",
    "dunning_state",
    "fee_agreed",
    "local_today",
    "mandate_attempts",
    "message_record",
    "page_relief_state",
    "pays_by_mandate",
    "policy_of",
    "question_open_since",
    "reply_address",
    "was_late",
]
