"""The invoice's audit trail of steps (billing.services.ports.AuditTrail), one item per step."""

from __future__ import annotations

import secrets
from datetime import datetime

from pynamodb.exceptions import PutError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import (
    InvoiceEventModel,
)
from billing.adapters.dynamo.stores.base import utc
from billing.services.ports import (
    AuditEvent,
)


def audit_item(tenant_id: str, invoice_id: str, event: AuditEvent) -> InvoiceEventModel:
    """The trail's item for one step (also written inside the issuing transaction)."""
    return InvoiceEventModel(
        f"{tenant_id}#{invoice_id}",
        f"{utc(event.at).isoformat()}#{event.key or secrets.token_hex(4)}",
        action=event.action,
        actor=event.actor,
        actor_id=event.actor_id,
        details=event.details,
    )


class DynamoAuditTrail:
    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None:
        item = audit_item(tenant_id, invoice_id, event)
        if event.key is None:
            item.save()
            return
        try:  # a step from an outbox event: once, however often the event is driven
            item.save(condition=InvoiceEventModel.event_key.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise

    def events(self, tenant_id: str, invoice_id: str) -> list[AuditEvent]:
        return [
            AuditEvent(
                action=item.action,
                actor=item.actor,
                at=datetime.fromisoformat(item.event_key.split("#", 1)[0]),
                details=dict(item.details or {}),
                actor_id=item.actor_id,
            )
            for item in InvoiceEventModel.query(f"{tenant_id}#{invoice_id}", consistent_read=True)
        ]
