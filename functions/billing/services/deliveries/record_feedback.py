"""SES told us an email bounced or drew a complaint (EmailFeedbackFunction, from the SNS topic SES
publishes to). One notification marks its email undelivered, once:

- the invoice it was is found by SES's message id (remembered when it was sent; an email we never
  remembered, such as a confirmation, is acknowledged and counted as unknown);
- the invoice records it (the invoice's own email, or the reminder with that message id, which dunning
  then does not count as a reminder sent);
- the merchant is told: the tenant's undelivered list (`billing report deliveries`), the month's count
  (`billing report engagement`) and the `EmailUndelivered` event hook.

Every step is idempotent, so SNS delivering the notification twice, or a retry after a failure at any
step, ends in the same state with the count added once (the undelivered record is the claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.domain.email_feedback import parse_feedback
from billing.services.deliveries.ports import (
    DeliveryEvents,
    DeliveryLog,
    EngagementCounts,
    InvoiceDeliveries,
    UndeliveredEmail,
)


@dataclass(frozen=True)
class RecordEmailFeedback:
    log: DeliveryLog
    invoices: InvoiceDeliveries
    counts: EngagementCounts
    events: DeliveryEvents

    def __call__(self, message: str | dict[str, Any]) -> str:
        """`undelivered`, `already_recorded`, `unknown_message` or `not_feedback`."""
        feedback = parse_feedback(message)  # FeedbackError: not SES's shape
        if feedback is None:
            return "not_feedback"
        sent = self.log.lookup(feedback.message_id)
        if sent is None:
            return "unknown_message"
        email = UndeliveredEmail(
            tenant_id=sent.tenant_id,
            invoice_id=sent.invoice_id,
            kind=sent.kind,
            reason=feedback.reason,
            at=feedback.at,
            message_id=feedback.message_id,
        )
        # The invoice and the event hook first (both keyed by the message id, so repeating them is
        # harmless), the merchant's record last: it is the claim the count is added under, once.
        self.invoices.mark_undelivered(email)
        self.events.undelivered(email)
        if not self.log.record_undelivered(email):
            return "already_recorded"
        self.counts.add(email.tenant_id, f"{email.at:%Y-%m}", "emails_undelivered")
        return "undelivered"
