"""The `EmailUndelivered` event hook, kept in the invoice's audit trail until the merchant-events
outbox (issue 16) implements DeliveryEvents itself; the audit trail is what the merchant's API shows."""

from __future__ import annotations

from dataclasses import dataclass

from billing.services.deliveries.ports import UndeliveredEmail
from billing.services.ports import AuditEvent, AuditTrail


@dataclass(frozen=True)
class AuditTrailDeliveryEvents:
    audit: AuditTrail

    def undelivered(self, email: UndeliveredEmail) -> None:
        details = {"kind": email.kind, "reason": email.reason, "message_id": email.message_id}
        self.audit.append(
            email.tenant_id, email.invoice_id, AuditEvent("email_undelivered", "ses", email.at, details)
        )
