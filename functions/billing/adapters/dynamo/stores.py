"""DynamoDB implementations of the billing ports (see billing.services.ports).

The one subtle part is `DynamoInvoiceLedger.issue`: the invoice number is allocated by a compare-and-
set on the tenant's counter inside the same transaction that stores the invoice, advances the
customer's schedule and records the run outcome. A number is therefore used exactly when an invoice
is stored: concurrent workers retry on a lost race, a retried message finds its invoice already there,
and a crash before the commit leaves nothing behind. Numbers stay gapless and unique.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamo import page_activity
from billing.adapters.dynamo.guard import item_size_guard
from billing.adapters.dynamo.models import (
    CounterModel,
    CustomerModel,
    InvoiceEventModel,
    InvoiceModel,
    RunItemModel,
    TenantModel,
    UsageModel,
)
from billing.adapters.dynamo.outbox import add_event
from billing.domain.invoice import Invoice, format_invoice_number
from billing.domain.invoice_events import ISSUED_SEQ, issued_event
from billing.domain.ocr import ocr_reference
from billing.domain.outbox import OutboxEvent
from billing.domain.payments import InvoicePayments
from billing.domain.scenario import (
    parse_catalog,
    parse_coupon,
    parse_customer,
    parse_subscription,
    parse_tenant_settings,
    parse_usage_event,
)
from billing.domain.usage import UsageEvent
from billing.services.errors import PermanentError, RetryableError
from billing.services.ports import (
    DEFAULT_PAGE_LIMITS,
    AuditEvent,
    CustomerAccount,
    IssueResult,
    PageLimits,
    RunOutcome,
    RunSummary,
    StoredInvoice,
    TenantAccount,
)

PAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")
DUE_BUCKETS = 16  # see template.yaml: spreads one tenant's due index over 16 partitions
NUMBER_RACE_ATTEMPTS = 50
RUN_TTL = timedelta(days=400)


@cache
def _connection() -> Connection:
    # One connection (one botocore client) per process: creating a client costs ~0.3 s of CPU,
    # more than the whole transaction it would send.
    return Connection()


def _backoff(attempt: int) -> None:
    # Full jitter: workers that lost a race on the counter spread out instead of colliding again.
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


def due_bucket(tenant_id: str, customer_id: str) -> str:
    shard = int(hashlib.sha256(customer_id.encode()).hexdigest()[:8], 16) % DUE_BUCKETS
    return f"{tenant_id}#{shard:02d}"


def customer_key(tenant_id: str, customer_id: str) -> str:
    return f"{tenant_id}#{customer_id}"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class DynamoTenantDirectory:
    # Tenant settings and catalog change rarely; one read per warm container every few minutes is
    # enough. Bounded, so a plan version scheduled as a price change (at least a month ahead,
    # docs/price-changes.md) is known to every container long before a subscription names it.
    TTL_SECONDS = 300.0

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, TenantAccount]] = {}

    def get(self, tenant_id: str) -> TenantAccount:
        cached = self._cache.get(tenant_id)
        if cached is None or time.monotonic() - cached[0] >= self.TTL_SECONDS:
            try:
                item = TenantModel.get(tenant_id)
            except DoesNotExist as exc:
                raise PermanentError(f"unknown tenant {tenant_id!r}", field="tenant_id") from exc
            account = TenantAccount(
                settings=parse_tenant_settings(item.settings),
                catalog=parse_catalog(item.catalog),
                page=dict(item.page or {}),
            )
            cached = (time.monotonic(), account)
            self._cache[tenant_id] = cached
        return cached[1]

    @staticmethod
    def put(tenant_id: str, settings: dict[str, Any], catalog: dict[str, Any], page: dict[str, Any]) -> None:
        parse_tenant_settings(settings)  # refuse to store what the worker could not read
        parse_catalog(catalog)
        TenantModel(tenant_id, settings=settings, catalog=catalog, page=page).save()


class DynamoCustomerDirectory:
    def due(self, tenant_id: str, on: date) -> Iterator[str]:
        for shard in range(DUE_BUCKETS):
            # Paginated by PynamoDB; the index holds keys only, so pages are large and cheap.
            for item in CustomerModel.due_index.query(
                f"{tenant_id}#{shard:02d}", CustomerModel.next_invoice_date <= on.isoformat()
            ):
                yield item.customer_id

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        try:
            item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return None
        if item.subscription is None or item.next_period_start is None:
            return None  # created through the API, no subscription yet: nothing to bill or show
        return CustomerAccount(
            tenant_id=tenant_id,
            customer=parse_customer(item.profile),
            subscription=parse_subscription(item.subscription),
            email=item.email,
            next_period_start=date.fromisoformat(item.next_period_start),
            invoices_issued=int(item.invoices_issued or 0),
            balance=int(item.balance or 0),
            coupons=tuple(item.coupons or ()),
            stripe=dict(item.stripe or {}),
            spend_alert=dict(item.spend_alert or {}),
        )

    @staticmethod
    def put(
        tenant_id: str,
        profile: dict[str, Any],
        subscription: dict[str, Any],
        email: str,
        first_period_start: date,
        coupons: Sequence[dict[str, Any]] = (),
    ) -> None:
        customer = parse_customer(profile)
        parse_subscription(subscription)
        for i, coupon in enumerate(coupons):
            parse_coupon(coupon, f"coupons[{i}]")
        CustomerModel(
            tenant_id,
            customer.id,
            profile=profile,
            subscription=subscription,
            coupons=list(coupons),
            email=email,
            next_period_start=first_period_start.isoformat(),
            next_invoice_date=first_period_start.isoformat(),
            due_bucket=due_bucket(tenant_id, customer.id),
        ).save()


class DynamoUsageStore:
    def events(self, tenant_id: str, customer_id: str, start: datetime, end: datetime) -> list[UsageEvent]:
        lo, hi = _utc(start).isoformat(), _utc(end).isoformat()
        return [
            parse_usage_event(item.event)
            for item in UsageModel.query(
                customer_key(tenant_id, customer_id), UsageModel.event_key.between(lo, hi + "~")
            )
            if item.event_key < hi
        ]


def _stored(item: InvoiceModel) -> StoredInvoice:
    questions = list(item.questions or ())  # legacy: asked before questions had their own items
    if item.question_count:
        questions += page_activity.questions_of(item.tenant_id, item.invoice_id)
    return StoredInvoice(
        invoice=Invoice.from_dict(item.document),
        page_token=item.page_token,
        status=item.status,
        amount_due=int(item.amount_due),
        run_id=item.run_id,
        page_published_at=item.page_published_at,
        email_status=item.email_status,
        created_at=item.created_at,
        amount_paid=int(item.amount_paid or 0),
        paid_at=item.paid_at,
        view_count=int(item.view_count or 0),
        first_viewed_at=item.first_viewed_at,
        questions=tuple(questions),
        question_open=bool(item.question_open),
        question_first_at=item.question_first_at,
        feedback=item.feedback,
        state=dict(item.state or {}),
        event_seq=int(item.event_seq or 0),
    )


class DynamoInvoiceLedger:
    @staticmethod
    def _counter_id(tenant_id: str, series_prefix: str) -> str:
        # One gapless sequence per tenant and series (a series is its number prefix).
        return f"{tenant_id}#{series_prefix or 'default'}"

    def issue(
        self,
        *,
        invoice: Invoice,
        account: CustomerAccount,
        next_period_start: date,
        page_token: str,
        run_id: str,
        now: datetime,
        series_prefix: str = "",
        ocr_length_digit: bool = False,
        coupons_after: Sequence[dict[str, Any]] | None = None,
        state: dict[str, Any] | None = None,
    ) -> IssueResult:
        tenant_id = invoice.tenant_id
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                _backoff(attempt)
            existing = self.get(tenant_id, invoice.invoice_id)
            if existing is not None:
                return IssueResult(existing, created=False)
            try:
                counter = CounterModel.get(self._counter_id(tenant_id, series_prefix), consistent_read=True)
                current = int(counter.value)
            except DoesNotExist:
                current = 0
            sequence = current + 1
            numbered = invoice.with_number(
                format_invoice_number(series_prefix, sequence), ocr_reference(str(sequence), ocr_length_digit)
            )
            item = self._invoice_item(numbered, account, page_token, run_id, sequence, now, state)
            try:
                self._commit(
                    item,
                    numbered,
                    account,
                    next_period_start,
                    run_id,
                    current,
                    now,
                    self._counter_id(tenant_id, series_prefix),
                    coupons_after,
                )
            except TransactWriteError as exc:
                reasons = {getattr(r, "code", None) for r in exc.cancellation_reasons if r is not None}
                if reasons <= {"ConditionalCheckFailed"} and reasons:
                    # Lost a race: another worker took the number, or issued this very invoice, or
                    # advanced the schedule. Look again and decide.
                    continue
                if reasons and reasons <= {
                    "ConditionalCheckFailed",
                    "TransactionConflict",
                    "ThrottlingError",
                    "ProvisionedThroughputExceeded",
                }:
                    continue  # another transaction on the same items: try again after a pause
                raise RetryableError(f"storing invoice failed: {exc}") from exc
            return IssueResult(_stored(item), created=True)
        raise RetryableError("could not allocate an invoice number: too much contention; retry later")

    @staticmethod
    def _invoice_item(
        invoice: Invoice,
        account: CustomerAccount,
        token: str,
        run_id: str,
        sequence: int,
        now: datetime,
        state: dict[str, Any] | None = None,
    ) -> InvoiceModel:
        period_start = (invoice.period.start if invoice.period else invoice.issue_date).isoformat()
        period_end = (invoice.period.end if invoice.period else invoice.issue_date).isoformat()
        open_ = invoice.amount_due > 0
        return InvoiceModel(
            invoice.tenant_id,
            invoice.invoice_id,
            customer_id=account.customer.id,
            customer_key=customer_key(invoice.tenant_id, account.customer.id),
            period_start=period_start,
            period_end=period_end,
            number=invoice.number or "",
            sequence=sequence,
            ocr=invoice.ocr or None,  # sparse ocr_index: no empty key
            page_token=token,
            status="open" if open_ else "paid",
            open_bucket=f"{invoice.tenant_id}#open" if open_ else None,
            due_date=invoice.due_date.isoformat(),
            currency=invoice.currency,
            total=invoice.total,
            amount_due=invoice.amount_due,
            document=invoice.to_dict(),
            run_id=run_id,
            created_at=_utc(now),
            state=dict(state or {}),
            event_seq=ISSUED_SEQ,  # its invoice.issued event, put in the same transaction
        )

    def _commit(
        self,
        item: InvoiceModel,
        invoice: Invoice,
        account: CustomerAccount,
        next_period_start: date,
        run_id: str,
        current: int,
        now: datetime,
        counter_id: str,
        coupons_after: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        tenant_id = invoice.tenant_id
        counter_condition = (
            CounterModel.value == current if current else CounterModel.counter_id.does_not_exist()
        )
        with TransactWrite(connection=_connection()) as tx:
            tx.update(
                CounterModel(counter_id),
                actions=[CounterModel.value.set(current + 1)],
                condition=counter_condition,
            )
            tx.save(item, condition=InvoiceModel.invoice_id.does_not_exist())
            add_event(tx, issued_event(invoice, now), now)
            self._advance(
                tx,
                account,
                next_period_start,
                issued=True,
                balance_used=invoice.balance_applied,
                coupons_after=coupons_after,
            )
            self._record_outcome(
                tx,
                run_id,
                tenant_id,
                account.customer.id,
                "invoiced",
                now,
                invoice_id=invoice.invoice_id,
                amount=(invoice.currency, invoice.total),
            )

    @staticmethod
    def _advance(
        tx: TransactWrite,
        account: CustomerAccount,
        next_period_start: date,
        *,
        issued: bool,
        balance_used: int = 0,
        coupons_after: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        actions: list[Any] = [
            CustomerModel.next_period_start.set(next_period_start.isoformat()),
            CustomerModel.next_invoice_date.set(next_period_start.isoformat()),
        ]
        if coupons_after is not None:
            # The coupons' use counts move with the invoice that used them, in the same transaction.
            actions.append(CustomerModel.coupons.set(list(coupons_after)))
        condition = CustomerModel.next_period_start == account.next_period_start.isoformat()
        if issued:
            actions.append(CustomerModel.invoices_issued.add(1))
        if balance_used:
            # The credit used by this invoice leaves the balance in the same transaction; the
            # condition makes a concurrent change of the balance retry instead of going negative.
            actions.append(CustomerModel.balance.add(-balance_used))
            condition = condition & (CustomerModel.balance >= balance_used)
        tx.update(CustomerModel(account.tenant_id, account.customer.id), actions=actions, condition=condition)

    @staticmethod
    def _record_outcome(
        tx: TransactWrite,
        run_id: str,
        tenant_id: str,
        customer_id: str,
        outcome: str,
        now: datetime,
        *,
        invoice_id: str | None = None,
        amount: tuple[str, int] | None = None,
        detail: str | None = None,
    ) -> None:
        tx.save(
            RunItemModel(
                run_id,
                f"O#{customer_id}",
                tenant_id=tenant_id,
                outcome=outcome,
                invoice_id=invoice_id,
                detail=detail,
                updated_at=_utc(now),
                expires_at=_utc(now) + RUN_TTL,
            ),
            condition=RunItemModel.item_key.does_not_exist(),
        )
        actions: list[Any] = [
            (RunItemModel.invoiced if outcome == "invoiced" else RunItemModel.skipped).add(1),
            RunItemModel.updated_at.set(_utc(now)),
        ]
        if amount is not None:
            currency, total = amount
            actions.append(RunItemModel.amounts[currency].add(total))
        tx.update(RunItemModel(run_id, "summary"), actions=actions)

    def skip(
        self, *, account: CustomerAccount, next_period_start: date, run_id: str, reason: str, now: datetime
    ) -> bool:
        try:
            with TransactWrite(connection=_connection()) as tx:
                if next_period_start != account.next_period_start:
                    self._advance(tx, account, next_period_start, issued=False)
                self._record_outcome(
                    tx, run_id, account.tenant_id, account.customer.id, "skipped", now, detail=reason
                )
        except TransactWriteError as exc:
            reasons = {getattr(r, "code", None) for r in exc.cancellation_reasons if r is not None}
            if reasons <= {"ConditionalCheckFailed"} and reasons:
                return False  # an earlier attempt recorded it, or another worker advanced first
            raise RetryableError(f"recording a skipped customer failed: {exc}") from exc
        return True

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        try:
            return _stored(InvoiceModel.get(tenant_id, invoice_id, consistent_read=True))
        except DoesNotExist:
            return None

    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        items = InvoiceModel.customer_index.query(
            customer_key(tenant_id, customer_id),
            InvoiceModel.period_start < before.isoformat(),
            scan_index_forward=False,
            limit=limit,
        )
        return list(reversed([_stored(i) for i in items]))

    def by_page_token(self, token: str) -> StoredInvoice | None:
        # A link's token is ours: 32 URL-safe characters, an instalment's a few more. Anything else
        # is no invoice, answered without a query (an over-long key is a DynamoDB error, not a miss).
        if not PAGE_TOKEN.fullmatch(token):
            return None
        for key in InvoiceModel.page_index.query(token, limit=1):
            return self.get(key.tenant_id, key.invoice_id)
        return None

    def mark_published(self, tenant_id: str, invoice_id: str, now: datetime) -> None:
        InvoiceModel(tenant_id, invoice_id).update(actions=[InvoiceModel.page_published_at.set(_utc(now))])

    def claim_email(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        # A claim older than 15 minutes belongs to an attempt that died between claim and send.
        stale = _utc(now) - timedelta(minutes=15)
        try:
            InvoiceModel(tenant_id, invoice_id).update(
                actions=[
                    InvoiceModel.email_status.set("sending"),
                    InvoiceModel.email_claimed_at.set(_utc(now)),
                ],
                condition=InvoiceModel.email_status.does_not_exist()
                | ((InvoiceModel.email_status == "sending") & (InvoiceModel.email_claimed_at < stale)),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise RetryableError(f"claiming the invoice email failed: {exc}") from exc
        return True

    def mark_emailed(self, tenant_id: str, invoice_id: str, now: datetime) -> None:
        InvoiceModel(tenant_id, invoice_id).update(
            actions=[InvoiceModel.email_status.set("sent"), InvoiceModel.email_sent_at.set(_utc(now))]
        )

    def release_email(self, tenant_id: str, invoice_id: str) -> None:
        InvoiceModel(tenant_id, invoice_id).update(
            actions=[InvoiceModel.email_status.remove(), InvoiceModel.email_claimed_at.remove()],
            condition=InvoiceModel.email_status == "sending",
        )

    def record_view(self, tenant_id: str, invoice_id: str, now: datetime) -> bool:
        item = InvoiceModel(tenant_id, invoice_id)
        with item_size_guard(f"invoice {tenant_id}#{invoice_id}"):
            item.update(
                actions=[
                    InvoiceModel.view_count.add(1),
                    InvoiceModel.last_viewed_at.set(_utc(now)),
                    InvoiceModel.first_viewed_at.set(InvoiceModel.first_viewed_at | _utc(now)),
                ],
                condition=InvoiceModel.invoice_id.exists(),
            )
        return int(item.view_count) == 1

    def add_question(
        self,
        tenant_id: str,
        invoice_id: str,
        question: dict[str, Any],
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
    ) -> bool:
        return page_activity.add_question(tenant_id, invoice_id, question, limits)

    def claim_support_notice(self, tenant_id: str, invoice_id: str) -> bool:
        return page_activity.claim_support_notice(tenant_id, invoice_id)

    def release_support_notice(self, tenant_id: str, invoice_id: str) -> None:
        page_activity.release_support_notice(tenant_id, invoice_id)

    def set_feedback(self, tenant_id: str, invoice_id: str, feedback: dict[str, Any]) -> None:
        with item_size_guard(f"invoice {tenant_id}#{invoice_id}"):
            InvoiceModel(tenant_id, invoice_id).update(
                actions=[InvoiceModel.feedback.set(feedback)], condition=InvoiceModel.invoice_id.exists()
            )

    def record_offer_click(
        self,
        tenant_id: str,
        invoice_id: str,
        offer_id: str,
        now: datetime,
        limits: PageLimits = DEFAULT_PAGE_LIMITS,
    ) -> None:
        page_activity.record_offer_click(tenant_id, invoice_id, offer_id, now, limits)

    def save_payments(
        self,
        stored: StoredInvoice,
        payments: InvoicePayments,
        *,
        paid_at: datetime | None,
        disputed: bool,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        item = InvoiceModel.get(stored.tenant_id, stored.invoice_id, consistent_read=True)
        version = int(item.version)
        state = dict(item.state or {})
        if state.get("payments") != stored.state.get("payments"):
            return False  # changed since the caller read it: apply the event again on fresh state
        state["payments"] = payments.to_record()
        amount_due = payments.amount_due
        status = "paid" if amount_due == 0 else "open"
        actions: list[Any] = [
            InvoiceModel.state.set(state),
            InvoiceModel.amount_paid.set(payments.amount_paid),
            InvoiceModel.amount_due.set(amount_due),
            InvoiceModel.status.set(status),
            InvoiceModel.version.add(1),
        ]
        # The sparse open index holds exactly the invoices that still wait for money.
        if amount_due == 0:
            actions.append(InvoiceModel.open_bucket.remove())
        else:
            actions.append(InvoiceModel.open_bucket.set(f"{stored.tenant_id}#open"))
        if paid_at is not None:
            actions.append(InvoiceModel.paid_at.set(_utc(paid_at)))
        elif amount_due > 0 and item.paid_at is not None:
            actions.append(InvoiceModel.paid_at.remove())  # a payment was taken back: not paid any more
        condition = InvoiceModel.version == version
        if events:
            # The events' sequences follow the invoice's last one; the version condition keeps it so.
            actions.append(InvoiceModel.event_seq.set(events[-1].seq))
        # When the outbox item was written (the sweep's order), not when the payment happened.
        now = datetime.now(UTC)
        try:
            with item_size_guard(f"invoice {stored.tenant_id}#{stored.invoice_id}"):
                with TransactWrite(connection=_connection()) as tx:
                    tx.update(
                        InvoiceModel(stored.tenant_id, stored.invoice_id),
                        actions=actions,
                        condition=condition,
                    )
                    for event in events:
                        add_event(tx, event, now)
        except TransactWriteError as exc:
            codes = {getattr(r, "code", None) for r in exc.cancellation_reasons or [] if r is not None}
            codes -= {None, "None"}
            if codes and codes <= {"ConditionalCheckFailed", "TransactionConflict"}:
                return False  # changed (or an event numbered) since the caller read it: apply again
            raise RetryableError(f"saving the payment failed: {exc}") from exc
        return True


class DynamoAuditTrail:
    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None:
        item = InvoiceEventModel(
            f"{tenant_id}#{invoice_id}",
            f"{_utc(event.at).isoformat()}#{event.key or secrets.token_hex(4)}",
            action=event.action,
            actor=event.actor,
            actor_id=event.actor_id,
            details=event.details,
        )
        if event.key is None:
            item.save()
            return
        try:  # a step from an outbox event: once, however often the event is driven
            item.save(condition=InvoiceEventModel.event_key.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
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


class DynamoRunLedger:
    def start(self, run_id: str, tenant_id: str, run_date: date, now: datetime) -> None:
        try:
            RunItemModel(
                run_id,
                "summary",
                tenant_id=tenant_id,
                run_date=run_date.isoformat(),
                status="running",
                started_at=_utc(now),
                invoiced=0,
                skipped=0,
                amounts={},
                expires_at=_utc(now) + RUN_TTL,
            ).save(condition=RunItemModel.item_key.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise RetryableError(f"starting run {run_id} failed: {exc}") from exc
            # The run exists: a retried or repeated start joins it.
            RunItemModel(run_id, "summary").update(actions=[RunItemModel.status.set("running")])

    def mark_queued(self, run_id: str, tenant_id: str, customer_ids: Sequence[str]) -> None:
        expires = datetime.now(UTC) + RUN_TTL
        with RunItemModel.batch_write() as batch:
            for customer_id in customer_ids:
                batch.save(RunItemModel(run_id, f"Q#{customer_id}", tenant_id=tenant_id, expires_at=expires))
        # The count of distinct queued customers, not a sum of attempts: exact however often the
        # starter runs.
        queued = RunItemModel.count(run_id, RunItemModel.item_key.startswith("Q#"), consistent_read=True)
        RunItemModel(run_id, "summary").update(actions=[RunItemModel.queued.set(queued)])

    def outcome(self, run_id: str, customer_id: str) -> RunOutcome | None:
        try:
            item = RunItemModel.get(run_id, f"O#{customer_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return RunOutcome(customer_id, item.outcome or "", item.invoice_id, item.detail)

    def record_failure(self, run_id: str, customer_id: str, reason: str, now: datetime) -> None:
        RunItemModel(run_id, f"F#{customer_id}").update(
            actions=[
                RunItemModel.detail.set(reason[:500]),
                RunItemModel.updated_at.set(_utc(now)),
                RunItemModel.expires_at.set(_utc(now) + RUN_TTL),
            ]
        )

    def summary(self, run_id: str) -> RunSummary | None:
        try:
            item = RunItemModel.get(run_id, "summary", consistent_read=True)
        except DoesNotExist:
            return None
        return RunSummary(
            run_id=run_id,
            tenant_id=item.tenant_id,
            run_date=date.fromisoformat(item.run_date or "1970-01-01"),
            status=item.status or "running",
            queued=int(item.queued or 0),
            invoiced=int(item.invoiced or 0),
            skipped=int(item.skipped or 0),
            failed=len(self.failed_customers(run_id)),
            amounts={k: int(v) for k, v in (item.amounts.as_dict() if item.amounts else {}).items()},
            started_at=item.started_at,
            finished_at=item.finished_at,
        )

    def mark_delivered(self, run_id: str, customer_id: str) -> None:
        try:
            RunItemModel(run_id, f"O#{customer_id}").update(
                actions=[RunItemModel.status.set("delivered")], condition=RunItemModel.item_key.exists()
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def undelivered(self, run_id: str) -> list[str]:
        outcomes = RunItemModel.query(run_id, RunItemModel.item_key.startswith("O#"), consistent_read=True)
        return [
            item.item_key[2:]
            for item in outcomes
            if item.outcome == "invoiced" and item.status != "delivered"
        ]

    def failed_customers(self, run_id: str) -> list[str]:
        """Customers whose last attempt failed and who have no outcome yet."""
        failed: set[str] = set()
        done: set[str] = set()
        for item in RunItemModel.query(run_id, RunItemModel.item_key.startswith("F#")):
            failed.add(item.item_key[2:])
        if not failed:
            return []
        for item in RunItemModel.query(run_id, RunItemModel.item_key.startswith("O#")):
            done.add(item.item_key[2:])
        return sorted(failed - done)

    def finish_if_done(self, run_id: str, now: datetime) -> RunSummary | None:
        summary = self.summary(run_id)
        if summary is None or summary.status == "finished":
            return summary
        if (summary.queued and summary.invoiced + summary.skipped >= summary.queued) or summary.queued == 0:
            try:
                RunItemModel(run_id, "summary").update(
                    actions=[RunItemModel.status.set("finished"), RunItemModel.finished_at.set(_utc(now))],
                    condition=RunItemModel.status != "finished",
                )
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
        return self.summary(run_id)


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
