"""What the transactional outbox holds: one event per state change, written in the change's own
transaction, and the effects that must follow it.

An event belongs to a stream (an invoice: `invoice#<id>`) and has the stream's next sequence number,
allocated in the same transaction as the change (the invoice carries its last one, `event_seq`), so
the events of one invoice are totally ordered and a retried transaction cannot number two events
alike. Its id is derived from tenant, stream and sequence: a redelivery, a replay or a retried drain
names the same event, and a receiver de-duplicates on it.

`effects` lists what must happen after the commit, each exactly once (billing.services.outbox drives
them): the money audit entry, a balance credit, the page, the receipt, a reminder's email, the
customer's open invoices following a new or ended card mandate, the merchant's events. `context`
carries what an effect needs and the merchant is not told; it is never in the envelope.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The effects an event can ask for, in the order they run (the page after the money and after a
# reminder's email is recorded as sent, which the page shows; the receipt after the page it links to;
# the merchant last: what it hears has already happened).
EFFECT_AUDIT = "audit"
EFFECT_BALANCE = "balance"
EFFECT_PAGE = "page"
EFFECT_RECEIPT = "receipt"
EFFECT_REMINDER = "reminder"  # a dunning step's email (billing.services.outbox.reminder_email)
EFFECT_INSTALMENT = "instalment"
# A card mandate began or ended: the customer's open invoices follow it (billing.services.payments
# .follow_mandate), before the merchant hears of it.
EFFECT_AUTOPAY = "autopay"
EFFECT_MERCHANT = "merchant"
EFFECT_ORDER = (
    EFFECT_AUDIT,
    EFFECT_BALANCE,
    EFFECT_REMINDER,
    EFFECT_PAGE,
    EFFECT_RECEIPT,
    EFFECT_INSTALMENT,
    EFFECT_AUTOPAY,
    EFFECT_MERCHANT,
)


def invoice_stream(invoice_id: str) -> str:
    return f"invoice#{invoice_id}"


def event_id_for(tenant_id: str, stream: str, seq: int) -> str:
    digest = hashlib.sha256(f"{tenant_id}\x1f{stream}\x1f{seq}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


@dataclass(frozen=True)
class OutboxEvent:
    tenant_id: str
    stream: str
    seq: int
    event_type: str
    occurred_at: datetime  # timezone-aware
    payload: dict[str, Any]
    effects: tuple[str, ...] = ()
    # effect name -> "done" once it has succeeded; absent while it is still to do
    done: dict[str, str] = field(default_factory=dict)
    # what an effect needs that the payload does not tell the merchant (never in the envelope)
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.seq < 1:
            raise ValueError("seq starts at 1")
        unknown = set(self.effects) - set(EFFECT_ORDER)
        if unknown:
            raise ValueError(f"unknown effects: {sorted(unknown)}")

    @property
    def event_id(self) -> str:
        return event_id_for(self.tenant_id, self.stream, self.seq)

    @property
    def pending(self) -> tuple[str, ...]:
        """The effects still to do, in the order they run."""
        return tuple(e for e in EFFECT_ORDER if e in self.effects and self.done.get(e) != "done")

    def envelope(self) -> dict[str, Any]:
        """What the merchant receives (EventBridge detail, webhook body): the same for every
        delivery of this event, so a signature over it and a de-duplication by id both hold."""
        return {
            "id": self.event_id,
            "type": self.event_type,
            "tenant_id": self.tenant_id,
            "stream": self.stream,
            "sequence": self.seq,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.payload,
        }
