"""In-memory fakes of the ports the billing run uses (StartBillingRun, IssueInvoice), for unit tests.

The invoice ledger keeps DynamoDB's transaction semantics where the worker depends on them: the issuing
transaction writes the invoice, the counter, the customer's schedule and the run outcome together or
not at all, under the same conditions (the counter's value, the invoice's key, the schedule). Every
port call is appended to `calls`, one entry per request the real adapter makes, so a test can assert
the worker's sequence of requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing.domain.invoice_events import ISSUED_SEQ
from billing.domain.usage import UsageEvent
from billing.services.billing_run import InvoiceRequested
from billing.services.invoice_pages import RenderedInvoice
from billing.services.ports import (
    AuditEvent,
    CustomerAccount,
    IssueInputs,
    IssueRequest,
    IssueResult,
    PageInputs,
    RunOutcome,
    StoredInvoice,
    TenantAccount,
)


class Calls(list[str]):
    """The requests made, in order, by every fake sharing it."""


@dataclass
class FakeTenants:
    tenants: dict[str, TenantAccount]
    calls: Calls = field(default_factory=Calls)

    def get(self, tenant_id: str) -> TenantAccount:
        return self.tenants[tenant_id]  # the real directory caches it per instance: no request


@dataclass
class FakeCustomers:
    """CustomerDirectory for the starter: the customers due and their accounts."""

    accounts: dict[tuple[str, str], CustomerAccount] = field(default_factory=dict)

    def due(self, tenant_id: str, on: date) -> Iterator[str]:
        for (tenant, customer_id), account in sorted(self.accounts.items()):
            if tenant == tenant_id and account.next_period_start <= on:
                yield customer_id

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        return self.accounts.get((tenant_id, customer_id))


@dataclass
class FakeUsage:
    """UsageReader: no events, or the ones given, and the daily totals given ((local day, metric) ->
    (sum, count) per customer); counts its reads."""

    events_by_customer: dict[str, list[UsageEvent]] = field(default_factory=dict)
    calls: Calls = field(default_factory=Calls)
    totals: dict[str, dict[tuple[date, str], tuple[Decimal, int]]] = field(default_factory=dict)

    def events(self, tenant_id: str, customer_id: str, start: datetime, end: datetime) -> list[UsageEvent]:
        self.calls.append("usage.events")
        return [e for e in self.events_by_customer.get(customer_id, []) if start <= e.timestamp < end]

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date, shards: int = 1
    ) -> dict[tuple[date, str], tuple[Decimal, int]]:
        self.calls.append("usage.daily")
        days = self.totals.get(customer_id, {})
        return {(day, metric): total for (day, metric), total in days.items() if first_day <= day <= last_day}


@dataclass
class Summary:
    queued: set[str] = field(default_factory=set)
    invoiced: int = 0
    skipped: int = 0
    started: bool = False
    finished: bool = False


@dataclass
class FakeRunLedger:
    runs: dict[str, Summary] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], RunOutcome] = field(default_factory=dict)
    delivered: set[tuple[str, str]] = field(default_factory=set)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: Calls = field(default_factory=Calls)

    def start(self, run_id: str, tenant_id: str, run_date: date, now: datetime) -> None:
        self.calls.append("runs.start")
        self.runs.setdefault(run_id, Summary()).started = True

    def mark_queued(self, run_id: str, tenant_id: str, customer_ids: Sequence[str]) -> None:
        self.calls.append("runs.mark_queued")
        self.runs.setdefault(run_id, Summary()).queued.update(customer_ids)

    def outcome(self, run_id: str, customer_id: str) -> RunOutcome | None:
        self.calls.append("runs.outcome")
        return self.outcomes.get((run_id, customer_id))

    def record_failure(self, run_id: str, customer_id: str, reason: str, now: datetime) -> None:
        self.failures[(run_id, customer_id)] = reason

    def finish_if_done(self, run_id: str, now: datetime) -> None:
        self.calls.append("runs.finish_if_done")
        summary = self.runs[run_id]
        if summary.invoiced + summary.skipped >= len(summary.queued):
            summary.finished = True

    def mark_delivered(self, run_id: str, customer_id: str) -> None:
        self.calls.append("runs.mark_delivered")
        if (run_id, customer_id) in self.outcomes:
            self.delivered.add((run_id, customer_id))

    # The invoices, to read their email status as the real ledger does (set by FakeInvoiceLedger).
    invoices: dict[tuple[str, str], StoredInvoice] = field(default_factory=dict)

    def undelivered(self, run_id: str) -> list[str]:
        self.calls.append("runs.undelivered")
        sent = {s.invoice_id for s in self.invoices.values() if s.email_status == "sent"}
        return sorted(
            c
            for (r, c), o in self.outcomes.items()
            if r == run_id
            and o.outcome == "invoiced"
            and (r, c) not in self.delivered
            and o.invoice_id not in sent
        )


class ConditionFailed(Exception):
    """A condition of the fake's transaction failed: nothing was written."""


@dataclass
class FakeInvoiceLedger:
    """InvoiceLedger over dicts, sharing the customers and the run ledger the worker reads."""

    customers: FakeCustomers
    runs: FakeRunLedger
    invoices: dict[tuple[str, str], StoredInvoice] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    audit: list[tuple[str, AuditEvent]] = field(default_factory=list)
    sent_messages: dict[str, str] = field(default_factory=dict)  # message id -> invoice id
    claimed_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    calls: Calls = field(default_factory=Calls)
    # Called just before the issuing transaction is applied (a test's concurrent worker, or a crash).
    before_transaction: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.runs.invoices = self.invoices  # one store, as the run ledger reads the invoices table

    @staticmethod
    def counter_id(tenant_id: str, series_prefix: str) -> str:
        return f"{tenant_id}#{series_prefix or 'default'}"

    def issue_inputs(
        self, tenant_id: str, customer_id: str, run_id: str, series_prefix: str = ""
    ) -> IssueInputs:
        self.calls.append("ledger.issue_inputs")
        return IssueInputs(
            account=self.customers.get(tenant_id, customer_id),
            counter=self.counters.get(self.counter_id(tenant_id, series_prefix), 0),
            outcome=self.runs.outcomes.get((run_id, customer_id)),
        )

    def issue(self, request: IssueRequest) -> IssueResult:
        r = request
        invoice = r.invoice
        key = (invoice.tenant_id, invoice.invoice_id)
        counter_id = self.counter_id(invoice.tenant_id, r.series.prefix)
        current = r.counter
        for _ in range(10):
            if current is None:
                self.calls.append("ledger.counter")
                current = self.counters.get(counter_id, 0)
            sequence = current + 1
            numbered = r.series.numbered(invoice, sequence, r.ocr_length_digit)
            stored = StoredInvoice(
                invoice=numbered,
                page_token=r.page_token,
                status="open" if numbered.amount_due > 0 else "paid",
                amount_due=numbered.amount_due,
                run_id=r.run_id,
                created_at=r.now,
                state=dict(r.state or {}),
                event_seq=ISSUED_SEQ,
            )
            if r.claim_email:
                stored = replace(stored, email_status="sending")
            if self.before_transaction is not None:
                self.before_transaction()
            self.calls.append("ledger.issue")
            try:
                self._apply(key, stored, r, current, counter_id)
            except ConditionFailed:
                if key in self.invoices:
                    self.calls.append("ledger.get")
                    return IssueResult(self.invoices[key], created=False)
                current = None
                continue
            self.audit += [(invoice.invoice_id, event) for event in r.audit]
            if r.claim_email:
                self.claimed_at[key] = r.now
            return IssueResult(stored, created=True)
        raise AssertionError("the fake's counter kept moving")

    def _apply(
        self, key: tuple[str, str], stored: StoredInvoice, r: IssueRequest, current: int, counter_id: str
    ) -> None:
        account, run_id = r.account, r.run_id
        next_period_start, coupons_after = r.next_period_start, r.coupons_after
        customer_key = (account.tenant_id, account.customer.id)
        held = self.customers.accounts[customer_key]
        if (
            key in self.invoices
            or self.counters.get(counter_id, 0) != current
            or held.next_period_start != account.next_period_start
            or (run_id, account.customer.id) in self.runs.outcomes
        ):
            raise ConditionFailed
        self.invoices[key] = stored
        self.counters[counter_id] = current + 1
        self.customers.accounts[customer_key] = replace(
            held,
            next_period_start=next_period_start,
            invoices_issued=held.invoices_issued + 1,
            balance=held.balance - stored.invoice.balance_applied,
            coupons=tuple(coupons_after) if coupons_after is not None else held.coupons,
        )
        self.runs.outcomes[(run_id, account.customer.id)] = RunOutcome(
            account.customer.id, "invoiced", stored.invoice_id
        )
        self.runs.runs.setdefault(run_id, Summary()).invoiced += 1

    def skip(
        self, *, account: CustomerAccount, next_period_start: date, run_id: str, reason: str, now: datetime
    ) -> bool:
        self.calls.append("ledger.skip")
        if (run_id, account.customer.id) in self.runs.outcomes:
            return False
        customer_key = (account.tenant_id, account.customer.id)
        self.customers.accounts[customer_key] = replace(
            self.customers.accounts[customer_key], next_period_start=next_period_start
        )
        self.runs.outcomes[(run_id, account.customer.id)] = RunOutcome(
            account.customer.id, "skipped", None, reason
        )
        self.runs.runs.setdefault(run_id, Summary()).skipped += 1
        return True

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        self.calls.append("ledger.get")
        return self.invoices.get((tenant_id, invoice_id))

    def by_page_token(self, token: str) -> StoredInvoice | None:
        # A link is one invoice's, whichever tenant's: the page index of the adapter.
        return next((s for s in self.invoices.values() if s.page_token == token), None)

    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        self.calls.append("ledger.history")
        return [
            s
            for (t, _), s in sorted(self.invoices.items())
            if t == tenant_id and s.invoice.customer_id == customer_id and s.invoice.issue_date < before
        ][-limit:]

    def _set(self, tenant_id: str, invoice_id: str, **changes: Any) -> None:
        key = (tenant_id, invoice_id)
        self.invoices[key] = replace(self.invoices[key], **changes)

    def mark_published(self, tenant_id: str, invoice_id: str, now: datetime) -> None:
        self.calls.append("ledger.mark_published")
        self._set(tenant_id, invoice_id, page_published_at=now)

    def claim_email(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        self.calls.append("ledger.claim_email")
        stored = self.invoices[(tenant_id, invoice_id)]
        claimed = self.claimed_at.get((tenant_id, invoice_id))
        if stored.email_status == "sent" or (
            stored.email_status == "sending" and claimed and claimed > now - timedelta(minutes=15)
        ):
            return False  # sent, or claimed by an attempt that may still be sending
        self._set(tenant_id, invoice_id, email_status="sending")
        self.claimed_at[(tenant_id, invoice_id)] = now
        return True

    def release_email(self, tenant_id: str, invoice_id: str) -> None:
        self.calls.append("ledger.release_email")
        self._set(tenant_id, invoice_id, email_status=None)

    def emailed(self, stored: StoredInvoice, now: datetime, *, message_id: str | None = None) -> None:
        self.calls.append("ledger.emailed")
        self._set(stored.tenant_id, stored.invoice_id, email_status="sent")
        key = (stored.tenant_id, stored.invoice_id)
        if self.invoices[key].page_published_at is None:
            self._set(stored.tenant_id, stored.invoice_id, page_published_at=now)
        if message_id:
            self.sent_messages[message_id] = stored.invoice_id


@dataclass
class FakePresenter:
    """Renders what the tests look at: the number, the total and the page token."""

    def present(self, inputs: PageInputs) -> RenderedInvoice:
        stored, history = inputs.stored, inputs.history
        invoice = stored.invoice
        return RenderedInvoice(
            page_html=f"<h1>{invoice.number}</h1><p>{invoice.total}</p><p>{len(history)} earlier</p>",
            email_subject=f"Invoice {invoice.number}",
            email_text=f"{invoice.number}: {invoice.total} /i/{stored.page_token}",
            email_html=f"<p>{invoice.number}</p>",
        )


@dataclass
class FakePublisher:
    pages: dict[str, bytes] = field(default_factory=dict)
    calls: Calls = field(default_factory=Calls)

    def publish(self, key: str, body: bytes, content_type: str) -> None:
        self.calls.append("s3.publish")
        self.pages[key] = body


@dataclass
class FakeMailer:
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    calls: Calls = field(default_factory=Calls)

    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        self.calls.append("ses.send")
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("SES is down")
        self.sent.append({"to": to, "subject": subject, "text": text})
        return f"msg-{len(self.sent)}"


@dataclass
class FakeQueue:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def send_all(self, messages: Iterable[dict[str, Any]]) -> int:
        batch = list(messages)
        self.messages += batch
        return len(batch)

    def requests(self) -> list[InvoiceRequested]:
        """The queued messages as the worker reads them: through SQS's JSON and the handler's model
        (billing.handlers.messages)."""
        from billing.handlers.messages import InvoiceRequestedMessage, read_message

        return [read_message(InvoiceRequestedMessage, json.dumps(m)).request() for m in self.messages]


@dataclass
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class CountingTokens:
    issued: int = 0

    def page_token(self) -> str:
        self.issued += 1
        return f"token{self.issued:027d}"
