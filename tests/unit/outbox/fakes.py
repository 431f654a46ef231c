"""In-memory outbox, money audit trail and merchant bus: the ports of billing.services.outbox, with
the same once-only rules as the DynamoDB adapters (put-if-absent entries, the balance credit and its
done-mark together, a claim before an email). `tick` is called before each port call, so a test can
make any one of them fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from billing.domain.audit_trail import MoneyEntry
from billing.domain.merchant_events import EventDraft, customer_stream
from billing.domain.outbox import OutboxEvent


def _never() -> None:
    return None


class MemoryOutbox:
    def __init__(self, tick: Callable[[], None] = _never, balances: dict[str, int] | None = None) -> None:
        self.tick = tick
        self.items: dict[tuple[str, str, int], OutboxEvent] = {}
        # customer id -> balance: shared with the test's own customer records when it has them
        self.balances: dict[str, int] = {} if balances is None else balances

    # what a writer's transaction does (the adapters' add_event)
    def add(self, event: OutboxEvent) -> bool:
        key = (event.tenant_id, event.stream, event.seq)
        if key in self.items:
            return False
        self.items[key] = event
        return True

    def events(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        return sorted(
            (e for (t, s, _), e in self.items.items() if (t, s) == (tenant_id, stream)), key=lambda e: e.seq
        )

    def all(self) -> list[OutboxEvent]:
        return sorted(self.items.values(), key=lambda e: (e.tenant_id, e.stream, e.seq))

    def pending(self, tenant_id: str, stream: str) -> list[OutboxEvent]:
        self.tick()
        return [e for e in self.events(tenant_id, stream) if e.pending]

    def _set(self, event: OutboxEvent, effect: str, value: str | None) -> None:
        key = (event.tenant_id, event.stream, event.seq)
        done = dict(self.items[key].done)
        if value is None:
            done.pop(effect, None)
        else:
            done[effect] = value
        self.items[key] = replace(self.items[key], done=done)

    def _current(self, event: OutboxEvent) -> OutboxEvent:
        return self.items[(event.tenant_id, event.stream, event.seq)]

    def mark_done(self, event: OutboxEvent, effect: str, *, last: bool) -> None:
        self.tick()
        self._set(event, effect, "done")

    def claim(self, event: OutboxEvent, effect: str, now: datetime) -> bool:
        self.tick()
        held = self._current(event).done.get(effect)
        stale = "sending:" + (now - timedelta(minutes=15)).isoformat()
        if held is None or (held.startswith("sending:") and held < stale):
            self._set(event, effect, "sending:" + now.isoformat())
            return True
        return False

    def release(self, event: OutboxEvent, effect: str) -> None:
        self.tick()
        if (self._current(event).done.get(effect) or "").startswith("sending:"):
            self._set(event, effect, None)

    def credit_balance_once(self, event: OutboxEvent, customer_id: str, amount: int, *, last: bool) -> bool:
        self.tick()
        if self._current(event).done.get("balance") == "done":
            return False
        self.balances[customer_id] = self.balances.get(customer_id, 0) + amount
        self._set(event, "balance", "done")
        return True

    def pending_streams(self, older_than: datetime, limit: int = 500) -> list[tuple[str, str]]:
        self.tick()
        return list(dict.fromkeys((e.tenant_id, e.stream) for e in self.all() if e.pending))[:limit]


class MemoryMoneyAudit:
    def __init__(self, tick: Callable[[], None] = _never) -> None:
        self.tick = tick
        self.entries: dict[tuple[str, str, str], MoneyEntry] = {}

    def record(self, entry: MoneyEntry) -> bool:
        self.tick()
        key = (entry.tenant_id, entry.invoice_id, entry.key)
        if key in self.entries:
            return False
        self.entries[key] = entry
        return True

    def for_invoice(self, tenant_id: str, invoice_id: str) -> list[MoneyEntry]:
        return sorted(
            (e for (t, i, _), e in self.entries.items() if (t, i) == (tenant_id, invoice_id)),
            key=lambda e: e.key,
        )

    def for_customer(self, tenant_id: str, customer_id: str) -> list[MoneyEntry]:
        return sorted(
            (e for e in self.entries.values() if (e.tenant_id, e.customer_id) == (tenant_id, customer_id)),
            key=lambda e: (e.at, e.key),
        )


class MemoryMerchant:
    """Every publish, in order (duplicates kept: the merchant de-duplicates by id)."""

    def __init__(self, tick: Callable[[], None] = _never) -> None:
        self.tick = tick
        self.published: list[dict[str, Any]] = []

    def publish(self, event: OutboxEvent) -> None:
        self.tick()
        self.published.append(event.envelope())

    def unique(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for envelope in self.published:
            seen.setdefault(envelope["id"], envelope)
        return list(seen.values())


class MemoryCustomerStreams:
    """The customer's outbox stream (billing.adapters.dynamo.customer_events) in memory: a write that
    carries a draft numbers it after the customer's last event and adds it to `outbox` with the write
    itself; a write that did not happen adds nothing."""

    def __init__(self, outbox: MemoryOutbox | None = None) -> None:
        self.outbox = outbox if outbox is not None else MemoryOutbox()
        self.seq: dict[tuple[str, str], int] = {}

    def commit(self, tenant_id: str, customer_id: str, draft: EventDraft | None) -> OutboxEvent | None:
        if draft is None:
            return None
        seq = self.seq.get((tenant_id, customer_id), 0) + 1
        event = draft.numbered(tenant_id, customer_stream(customer_id), seq)
        if not self.outbox.add(event):
            raise AssertionError(f"sequence {seq} of customer {customer_id} numbered twice")
        self.seq[(tenant_id, customer_id)] = seq
        return event

    def events(self, tenant_id: str, customer_id: str, event_type: str | None = None) -> list[OutboxEvent]:
        found = self.outbox.events(tenant_id, customer_stream(customer_id))
        return [e for e in found if event_type is None or e.event_type == event_type]
