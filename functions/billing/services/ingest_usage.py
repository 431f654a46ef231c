"""Usage ingestion: one tenant's batch of up to 100 usage events, each recorded exactly once.

Triggered by `POST /v1/usage` (handlers/ingest_usage.py) after the API key has named the tenant. Every
event gets its own result (accepted, duplicate, or rejected with a reason and the field at fault), so
good events in a batch with bad ones are still recorded. The ledger port writes the duplicate marker,
the raw event and the daily total in one transaction: an event id seen before, or the same batch sent
twice at once, is counted once. docs/usage.md describes the keys.

Late usage (the rule for a period that is invoiced, or being invoiced): the usage an invoice bills is
its "window" (the previous period, in the customer's timezone). Once the day an invoice is due has
begun (in the customer's timezone or in Stockholm, where runs are scheduled, whichever is earlier), a
run may be reading that window, so no event is written into it any more. An event whose time falls
before the window still open is accepted as an *adjustment*: it is stored at the start of the open
window, so the customer's next invoice bills it, and its result says so (reason `period_invoiced`,
`billed_at`). Nothing is lost silently and nothing already invoiced changes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from billing.domain.merchant_events import usage_batch_id, usage_rejected_event
from billing.domain.outbox import OutboxEvent
from billing.domain.periods import local_midnight, period_containing, previous_period
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_usage_event
from billing.domain.usage import VALUE_DECIMALS, UsageEvent, UsageRecord, bad_value

# Keys (creation, hashing, scopes) live in services/api_keys.py; re-exported for existing callers.
from billing.services.api_keys import API_KEY_PREFIX as API_KEY_PREFIX
from billing.services.api_keys import ApiKeyStore as ApiKeyStore
from billing.services.api_keys import create_api_key as create_api_key
from billing.services.api_keys import hash_api_key as hash_api_key
from billing.services.errors import PermanentError
from billing.services.ports import Clock, CustomerAccount, TenantAccount, TenantDirectory

MAX_EVENTS = 100
MAX_BODY_BYTES = 256 * 1024
MAX_ID_LENGTH = 128
# Limits checked before anything is stored (docs/usage.md, "Limits"): every key stays far below
# DynamoDB's key-size limits, and a resend of the same event always gets the same answer.
MAX_CUSTOMER_ID_LENGTH = 128
MAX_METRIC_LENGTH = 64
MAX_PROPERTIES = 20
MAX_PROPERTY_LENGTH = 256
MAX_JSON_DEPTH = 8
MAX_INTEGER_DIGITS = 20
# Events older than this are refused (their timestamp is a client bug, not a late meter reading).
MAX_EVENT_AGE = timedelta(days=400)
# Clocks drift: an event a little ahead of ours is fine, one from tomorrow is a client bug.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Scheduled runs start in this zone (template.yaml, ScheduleV2); a run dated D may begin at its midnight.
RUN_TIMEZONE = ZoneInfo("Europe/Stockholm")

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


class BatchRefused(PermanentError):
    """The request as a whole cannot be read: `status` is the HTTP answer (400 malformed, 413 too large)."""

    def __init__(self, reason: str, *, status: int, field: str | None = None) -> None:
        super().__init__(reason, field=field, code="batch_too_large" if status == 413 else "bad_request")
        self.status = status


@dataclass(frozen=True)
class EventResult:
    index: int
    id: str | None
    status: str  # accepted | duplicate | rejected
    reason: str | None = None  # machine-readable: invalid, unknown_customer, in_future, period_invoiced
    field: str | None = None
    message: str | None = None
    billed_at: datetime | None = None  # set when accepted as an adjustment: the instant it counts at

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        for name in ("reason", "field", "message"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.billed_at is not None:
            out["billed_at"] = self.billed_at.isoformat()
        return out


@dataclass(frozen=True)
class BatchResult:
    results: tuple[EventResult, ...]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.count(ACCEPTED),
            "duplicates": self.count(DUPLICATE),
            "rejected": self.count(REJECTED),
            "results": [r.to_dict() for r in self.results],
        }


class UsageLedger(Protocol):
    def record(self, tenant_id: str, records: Sequence[UsageRecord]) -> set[int]:
        """Store each record with its duplicate marker and daily total in one transaction; return the
        indexes of records whose event id was already recorded (nothing of theirs is written)."""
        ...


class UsageRejections(Protocol):
    def record(self, event: OutboxEvent) -> bool:
        """Put the batch's usage.rejected in the outbox unless its stream has it already (the same
        batch sent again): False then."""
        ...


class UsageCustomers(Protocol):
    def accounts(self, tenant_id: str, customer_ids: Collection[str]) -> dict[str, CustomerAccount]:
        """The tenant's customers among `customer_ids` (strongly consistent); unknown ids are absent."""
        ...


class ApiKeys(Protocol):
    def tenant_for(self, key_hash: str) -> str | None: ...


def tenant_for_key(keys: ApiKeys, api_key: str | None) -> str | None:
    """The tenant an API key belongs to, or None for a missing, malformed, unknown or revoked key."""
    if not api_key or len(api_key) > 200 or not api_key.isascii():
        return None  # keys are ASCII (a prefix and URL-safe base64); anything else is not one of ours
    return keys.tenant_for(hash_api_key(api_key))


def parse_batch(body: Any) -> list[Any]:
    """The event list of a request body ({"events": [...]}); refuses what cannot be a batch."""
    if not isinstance(body, dict):
        raise BatchRefused("the body must be a JSON object with an `events` list", status=400)
    unknown = sorted(set(body) - {"events"})
    if unknown:
        raise BatchRefused("unknown field", status=400, field=unknown[0])
    events = body.get("events")
    if not isinstance(events, list):
        raise BatchRefused("must be a list of events", status=400, field="events")
    if not events:
        raise BatchRefused("must hold at least one event", status=400, field="events")
    if len(events) > MAX_EVENTS:
        raise BatchRefused(
            f"at most {MAX_EVENTS} events per request; got {len(events)}", status=413, field="events"
        )
    return events


@dataclass(frozen=True)
class UsageWindow:
    """Where an event lands for one customer now: from `open_start` on it is billed as it is."""

    open_start: datetime
    timezone: ZoneInfo


def usage_window(tenant: TenantAccount, account: CustomerAccount, now: datetime) -> UsageWindow:
    """The start of the usage window no run can be reading yet (see the module docstring)."""
    subscription = account.subscription
    plan = tenant.catalog.plan(subscription.phases[0].plan_code)
    period = period_containing(
        account.next_period_start, plan.interval, subscription.anchor, subscription.anchor_day
    )
    tz = ZoneInfo(account.customer.timezone)
    # The next invoice (for `period`) bills usage of the period before it, as IssueInvoice does.
    billed_next = previous_period(period, plan.interval, subscription.anchor, subscription.anchor_day)
    due_from = min(local_midnight(period.start, tz), local_midnight(period.start, RUN_TIMEZONE))
    if now < due_from:
        return UsageWindow(local_midnight(billed_next.start, tz), tz)
    # The invoice is due and a run may be reading its window: late events go to the window after it,
    # which is `period` itself (billed by the invoice that follows the one now due).
    return UsageWindow(local_midnight(period.start, tz), tz)


def parse_json_integer(text: str) -> int | Decimal:
    """JSON integers: a long one stays a Decimal (refused by the field that holds it, e.g. `value`),
    so Python's int-conversion limit (4,300 digits) never turns a body into a 500."""
    return int(text) if len(text.lstrip("-")) <= MAX_INTEGER_DIGITS else Decimal(text)


def _text_problem(raw: dict[str, Any]) -> tuple[str, str] | None:
    """The first identifier or text that is too long or not encodable as UTF-8 (a lone surrogate)."""
    limits = (("id", MAX_ID_LENGTH), ("customer_id", MAX_CUSTOMER_ID_LENGTH), ("metric", MAX_METRIC_LENGTH))
    texts: list[tuple[str, Any, int]] = [(name, raw.get(name), limit) for name, limit in limits]
    properties = raw.get("properties")
    if isinstance(properties, dict):
        if len(properties) > MAX_PROPERTIES:
            return "properties", f"at most {MAX_PROPERTIES} properties"
        for key, value in properties.items():
            texts += [(f"properties.{key[:40]}", key, MAX_METRIC_LENGTH)]
            texts += [(f"properties.{key[:40]}", value, MAX_PROPERTY_LENGTH)]
    for field, value, limit in texts:
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            return field, f"at most {limit} characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return field, "must be valid Unicode text (a lone surrogate is not)"
    return None


def _validate(raw: Any, index: int) -> UsageEvent | EventResult:
    if not isinstance(raw, dict):
        return EventResult(index, None, REJECTED, "invalid", "event", "must be an object")
    event_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    problem = _text_problem(raw)
    if problem is not None:
        field, reason = problem
        return EventResult(index, None if field == "id" else event_id, REJECTED, "invalid", field, reason)
    try:
        event = parse_usage_event(raw, path="")
    except ScenarioError as exc:
        return EventResult(index, event_id, REJECTED, "invalid", exc.field, exc.reason)
    if len(event.id) > MAX_ID_LENGTH:
        return EventResult(index, None, REJECTED, "invalid", "id", f"at most {MAX_ID_LENGTH} characters")
    if bad_value(event.value):
        return EventResult(
            index,
            event.id,
            REJECTED,
            "invalid",
            "value",
            f"a number below 10^15 with at most {VALUE_DECIMALS} decimals",
        )
    return event


class SpendWatch(Protocol):
    def __call__(self, tenant: TenantAccount, accounts: Iterable[CustomerAccount], now: datetime) -> int: ...


@dataclass(kw_only=True, eq=False)
class IngestUsage:
    # The merchant's usage.rejected (docs/events.md): one event per batch with rejections, on the
    # batch's own stream, so ingestion never waits on a shared sequence.
    # Spend alerts (billing.services.spend_alerts.watch): checked after the batch is recorded, for
    # the customers it named, from the customer records already read above.
    tenants: TenantDirectory
    customers: UsageCustomers
    ledger: UsageLedger
    clock: Clock
    spend: SpendWatch | None = None
    rejections: UsageRejections | None = None

    def __call__(self, tenant_id: str, events: Sequence[Any], batch_key: str | None = None) -> BatchResult:
        """`batch_key`: the request's Idempotency-Key, if it sent one (it names the batch's stream)."""
        now = self.clock.now()
        results: dict[int, EventResult] = {}
        valid: dict[int, UsageEvent] = {}
        first_index_of: dict[str, int] = {}
        for index, raw in enumerate(events):
            checked = _validate(raw, index)
            if isinstance(checked, EventResult):
                results[index] = checked
            elif checked.timestamp > now + FUTURE_TOLERANCE:
                results[index] = EventResult(
                    index, checked.id, REJECTED, "in_future", "timestamp", "later than the current time"
                )
            elif checked.timestamp < now - MAX_EVENT_AGE:
                results[index] = EventResult(
                    index,
                    checked.id,
                    REJECTED,
                    "too_old",
                    "timestamp",
                    f"older than {MAX_EVENT_AGE.days} days",
                )
            elif checked.id in first_index_of:
                # The same id twice in one request: the first one counts, like a resend.
                results[index] = EventResult(index, checked.id, DUPLICATE, "duplicate_in_request")
            else:
                first_index_of[checked.id] = index
                valid[index] = checked

        tenant = self.tenants.get(tenant_id) if valid else None
        accounts = (
            self.customers.accounts(tenant_id, {e.customer_id for e in valid.values()}) if valid else {}
        )
        records: list[UsageRecord] = []
        windows: dict[str, UsageWindow] = {}  # one per customer: its schedule, not the event, decides it
        for index, event in valid.items():
            account = accounts.get(event.customer_id)
            if account is None or tenant is None:
                results[index] = EventResult(
                    index, event.id, REJECTED, "unknown_customer", "customer_id", "no such customer"
                )
                continue
            window = windows.get(event.customer_id) or windows.setdefault(
                event.customer_id, usage_window(tenant, account, now)
            )
            if event.timestamp >= window.open_start:
                day = event.timestamp.astimezone(window.timezone).date()
                records.append(UsageRecord(index, event, day, shards=account.usage_shards))
            else:
                moved = UsageEvent(
                    event.id,
                    event.customer_id,
                    event.metric,
                    window.open_start,
                    event.value,
                    event.properties,
                )
                records.append(
                    UsageRecord(
                        index,
                        moved,
                        window.open_start.astimezone(window.timezone).date(),
                        event.timestamp,
                        account.usage_shards,
                    )
                )

        duplicates = self.ledger.record(tenant_id, records) if records else set()
        if self.spend is not None and tenant is not None and records:
            # Duplicates count too: a batch sent again after a failure here re-drives the check.
            self.spend(tenant, [accounts[c] for c in sorted({r.event.customer_id for r in records})], now)
        for record in records:
            i = record.index
            if i in duplicates:
                results[i] = EventResult(i, record.event.id, DUPLICATE, "seen_before")
            elif record.original_timestamp is not None:
                results[i] = EventResult(
                    i,
                    record.event.id,
                    ACCEPTED,
                    "period_invoiced",
                    "timestamp",
                    "its period is invoiced or being invoiced: billed on the next invoice as an adjustment",
                    billed_at=record.event.timestamp,
                )
            else:
                results[i] = EventResult(i, record.event.id, ACCEPTED)
        batch = BatchResult(tuple(results[i] for i in range(len(events))))
        self._report_rejections(tenant_id, events, batch, batch_key, now)
        return batch

    def _report_rejections(
        self, tenant_id: str, events: Sequence[Any], batch: BatchResult, batch_key: str | None, now: datetime
    ) -> None:
        """After the accepted events are stored: a failure here fails the request, and the client's
        resend (its accepted events now duplicates) writes the event; a batch's stream holds one."""
        rejected = [r for r in batch.results if r.status == REJECTED]
        if self.rejections is None or not rejected:
            return
        canonical = json.dumps(list(events), sort_keys=True, default=str, separators=(",", ":"))
        event = usage_rejected_event(
            tenant_id,
            usage_batch_id(tenant_id, batch_key, canonical),
            rejected=[{**r.to_dict(), "customer_id": _customer_of(events[r.index])} for r in rejected],
            accepted=batch.count(ACCEPTED),
            duplicates=batch.count(DUPLICATE),
            now=now,
        )
        self.rejections.record(event)


def _customer_of(raw: Any) -> str | None:
    """The customer id the rejected event named, if it is one we could have stored."""
    customer_id = raw.get("customer_id") if isinstance(raw, dict) else None
    if isinstance(customer_id, str) and 0 < len(customer_id) <= MAX_CUSTOMER_ID_LENGTH:
        return customer_id
    return None
