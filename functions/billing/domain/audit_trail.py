"""The money audit trail: one append-only entry per change of what an invoice is owed or paid, or of
a customer's balance, saying who or what changed it, when, the amounts before and after, and why.

Entries are derived from outbox events (billing.domain.outbox), so each is written once per event
whatever is retried: its key is the event's stream sequence and the entry's kind. Summing `change`
over an invoice's entries gives the amount it is owed now (`accounted_amount_due`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from billing.domain.outbox import OutboxEvent

KIND_INVOICE = "invoice"  # the invoice's amount due, amount paid and status
KIND_BALANCE = "balance"  # the customer's credit balance


@dataclass(frozen=True)
class MoneyEntry:
    tenant_id: str
    invoice_id: str
    customer_id: str
    seq: int  # the outbox event's sequence in the invoice's stream
    kind: str
    event_id: str
    event_type: str
    at: datetime
    actor: str  # system | customer | operator | stripe | bankgirot
    reason: str  # what happened, in words an operator reads: payment_received, refund_issued, ...
    currency: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    change: int = 0  # amount due after minus before (invoice), or added to the balance (balance)

    @property
    def key(self) -> str:
        return f"{self.seq:010d}#{self.kind}"


def money_entries(event: OutboxEvent) -> list[MoneyEntry]:
    """The entries an event's payload implies: the invoice's amounts when they moved (or when it was
    issued), and the balance when money went to it. An event without money (a question) has none."""
    data = event.payload
    money = data.get("money")
    if not isinstance(money, dict):
        return []
    common: dict[str, Any] = {
        "tenant_id": event.tenant_id,
        "invoice_id": str(data["invoice_id"]),
        "customer_id": str(data["customer_id"]),
        "seq": event.seq,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "at": event.occurred_at,
        "actor": str(money.get("actor", "system")),
        "reason": str(money.get("reason", event.event_type)),
        "currency": str(data.get("currency", "")),
    }
    before = dict(money.get("before") or {})
    after = dict(money.get("after") or {})
    entries = [
        MoneyEntry(
            kind=KIND_INVOICE,
            before=before,
            after=after,
            change=int(after.get("amount_due", 0)) - int(before.get("amount_due", 0)),
            **common,
        )
    ]
    to_balance = int(money.get("to_balance", 0))
    if to_balance:
        entries.append(
            MoneyEntry(kind=KIND_BALANCE, change=to_balance, after={"balance_added": to_balance}, **common)
        )
    return entries


def accounted_amount_due(entries: Iterable[MoneyEntry]) -> int:
    """What the invoice's entries say it is owed now: the sum of their changes."""
    return sum(e.change for e in entries if e.kind == KIND_INVOICE)


def invoice_money(amount_due: int, amount_paid: int, status: str) -> dict[str, Any]:
    return {"amount_due": amount_due, "amount_paid": amount_paid, "status": status}
