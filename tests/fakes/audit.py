"""In-memory `AuditTrail` (services/ports.py): each invoice's events in the order appended."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.services.ports import AuditEvent


@dataclass
class FakeAuditTrail:
    trails: dict[tuple[str, str], list[AuditEvent]] = field(default_factory=dict)

    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None:
        trail = self.trails.setdefault((tenant_id, invoice_id), [])
        if event.key is not None and any(e.key == event.key and e.at == event.at for e in trail):
            return  # a step from an outbox event: once, however often it is driven (as the adapter)
        trail.append(event)

    def events(self, tenant_id: str, invoice_id: str) -> list[AuditEvent]:
        return list(self.trails.get((tenant_id, invoice_id), []))
