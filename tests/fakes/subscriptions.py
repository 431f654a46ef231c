"""In-memory `SubscriptionRecords` (services/subscriptions/ports.py), with the adapter's conditions:
a start refused for a customer that has a subscription (and versioned 1, as the adapter does), a
replace or a plan-change invoice refused when the record's version moved since it was read, an invoice
issued once per id with the next number of its series. A write's event is kept with it, in order;
`moved_once` makes another change land between the next decision's read and its write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from billing.domain.merchant_events import EventDraft
from billing.domain.parties import Customer
from billing.domain.scenario import parse_subscription
from billing.services.ports import CustomerAccount, StoredInvoice
from billing.services.subscriptions.ports import PlanChangeIssue, SubscriptionRecord


@dataclass
class FakeSubscriptionRecords:
    records: dict[tuple[str, str], SubscriptionRecord] = field(default_factory=dict)
    invoices: dict[tuple[str, str], StoredInvoice] = field(default_factory=dict)
    counters: dict[tuple[str, str], int] = field(default_factory=dict)
    events: list[tuple[str, str, EventDraft]] = field(default_factory=list)  # (tenant, customer, event)
    moved_once: bool = False

    def add_customer(self, tenant_id: str, customer: Customer, email: str = "kund@example.se") -> None:
        self.records[(tenant_id, customer.id)] = SubscriptionRecord(customer, email, None, 0, None, None)

    def _at_version(self, tenant_id: str, customer_id: str, version: int) -> SubscriptionRecord | None:
        """The record if a write at `version` may commit (None: refused, nothing written)."""
        record = self.records.get((tenant_id, customer_id))
        if record is not None and self.moved_once:
            self.moved_once = False
            self.records[(tenant_id, customer_id)] = replace(record, version=record.version + 1)
            return None
        if record is None or record.subscription is None or record.version != version:
            return None
        return record

    def get(self, tenant_id: str, customer_id: str) -> SubscriptionRecord | None:
        # The billing view is the adapter's too: built from the stored subscription and schedule.
        record = self.records.get((tenant_id, customer_id))
        if record is None or record.subscription is None or record.next_period_start is None:
            return record
        subscription = parse_subscription(record.subscription)
        account = CustomerAccount(
            tenant_id, record.customer, subscription, record.email, record.next_period_start
        )
        return replace(record, account=account)

    def start(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        first_period_start: date,
        coupons: Sequence[dict[str, Any]],
        changed: EventDraft | None = None,
    ) -> bool:
        record = self.records.get((tenant_id, customer_id))
        if record is None or record.subscription is not None:
            return False
        self._save(
            tenant_id,
            customer_id,
            replace(record, subscription=subscription, next_period_start=first_period_start, version=0),
            changed,
        )
        return True

    def replace(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        version: int,
        changed: EventDraft | None = None,
    ) -> bool:
        record = self._at_version(tenant_id, customer_id, version)
        if record is None:
            return False
        self._save(tenant_id, customer_id, replace(record, subscription=subscription), changed)
        return True

    def issue_with_change(self, issue: PlanChangeIssue) -> StoredInvoice | None:
        invoice, account, prefix = issue.invoice, issue.account, issue.series.prefix
        tenant_id, customer_id = account.tenant_id, account.customer.id
        existing = self.invoices.get((tenant_id, invoice.invoice_id))
        if existing is not None:
            return existing
        record = self._at_version(tenant_id, customer_id, issue.version)
        if record is None:
            return None
        number = self.counters.get((tenant_id, prefix), 0) + 1
        self.counters[(tenant_id, prefix)] = number
        stored = StoredInvoice(
            invoice=replace(invoice, number=f"{prefix}{number}"),
            page_token=issue.page_token,
            status="open",
            amount_due=invoice.amount_due,
            created_at=issue.now,
        )
        self.invoices[(tenant_id, invoice.invoice_id)] = stored
        self._save(tenant_id, customer_id, replace(record, subscription=issue.subscription), issue.changed)
        return stored

    def invoice(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self.invoices.get((tenant_id, invoice_id))

    def _save(
        self, tenant_id: str, customer_id: str, record: SubscriptionRecord, changed: EventDraft | None
    ) -> None:
        self.records[(tenant_id, customer_id)] = replace(record, version=record.version + 1)
        if changed is not None:
            self.events.append((tenant_id, customer_id, changed))
