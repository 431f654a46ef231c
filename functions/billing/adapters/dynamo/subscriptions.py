"""Subscriptions in the Customers table (billing.services.subscriptions.ports.SubscriptionRecords).

Every write takes the change's subscription.changed draft and commits it with the change, numbered on
the customer's outbox stream (billing.adapters.dynamo.customer_events).

Starting one writes the subscription and the billing schedule (so the due index finds the customer);
changes write the subscription only, conditional on `subscription_version`. A plan change that is
invoiced now is one transaction with the invoice and the series counter, exactly as a run's invoice
(DynamoInvoiceLedger), so numbers stay gapless and a retry finds the invoice instead of a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from billing.adapters.dynamo.conditions import Transaction, codes_as_added
from billing.adapters.dynamo.customer_events import (
    customer_seq,
    on_customer,
    seq_is,
    update_customer_with_event,
)
from billing.adapters.dynamo.models import CounterModel, CustomerModel, InvoiceModel
from billing.adapters.dynamo.outbox import add_event
from billing.adapters.dynamo.stores import (
    NUMBER_RACE_ATTEMPTS,
    DynamoCustomerDirectory,
    DynamoInvoiceLedger,
    backoff,
    connection,
    due_bucket,
    stored_invoice,
)
from billing.domain.invoice_events import issued_event
from billing.domain.merchant_events import EventDraft
from billing.domain.scenario import parse_customer
from billing.services.errors import RetryableError
from billing.services.ports import StoredInvoice
from billing.services.subscriptions.ports import PlanChangeIssue, SubscriptionRecord


def _version_is(version: int) -> Any:
    return (
        CustomerModel.subscription_version == version
        if version
        else CustomerModel.subscription_version.does_not_exist()
    )


class DynamoSubscriptionRecords:
    def __init__(self) -> None:
        self._ledger = DynamoInvoiceLedger()

    def get(self, tenant_id: str, customer_id: str) -> SubscriptionRecord | None:
        try:
            item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return None
        account = DynamoCustomerDirectory().get(tenant_id, customer_id) if item.subscription else None
        return SubscriptionRecord(
            customer=parse_customer(item.profile),
            email=item.email,
            subscription=dict(item.subscription) if item.subscription is not None else None,
            version=int(item.subscription_version or 0),
            next_period_start=date.fromisoformat(item.next_period_start) if item.next_period_start else None,
            account=account,
        )

    def start(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        first_period_start: date,
        coupons: Sequence[dict[str, Any]],
        changed: EventDraft | None = None,
    ) -> bool:
        return update_customer_with_event(
            tenant_id,
            customer_id,
            actions=[
                CustomerModel.subscription.set(subscription),
                CustomerModel.subscription_version.set(1),
                CustomerModel.coupons.set(list(coupons)),
                CustomerModel.next_period_start.set(first_period_start.isoformat()),
                CustomerModel.next_invoice_date.set(first_period_start.isoformat()),
                CustomerModel.due_bucket.set(due_bucket(tenant_id, customer_id)),
            ],
            condition=CustomerModel.customer_id.exists() & CustomerModel.subscription.does_not_exist(),
            draft=changed,
            what="starting the subscription",
        )

    def replace(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        version: int,
        changed: EventDraft | None = None,
    ) -> bool:
        return update_customer_with_event(
            tenant_id,
            customer_id,
            actions=[
                CustomerModel.subscription.set(subscription),
                CustomerModel.subscription_version.set(version + 1),
            ],
            condition=CustomerModel.subscription.exists() & _version_is(version),
            draft=changed,
            what="changing the subscription",
        )

    def invoice(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self._ledger.get(tenant_id, invoice_id)

    def issue_with_change(self, issue: PlanChangeIssue) -> StoredInvoice | None:
        invoice, account, now = issue.invoice, issue.account, issue.now
        tenant_id = invoice.tenant_id
        customer_id = account.customer.id
        counter_id = self._ledger._counter_id(tenant_id, issue.series.prefix)
        for attempt in range(NUMBER_RACE_ATTEMPTS):
            if attempt:
                backoff(attempt)
            existing = self.invoice(tenant_id, invoice.invoice_id)
            if existing is not None:
                return existing
            try:
                current = int(CounterModel.get(counter_id, consistent_read=True).value)
            except DoesNotExist:
                current = 0
            sequence = current + 1
            numbered = issue.series.numbered(invoice, sequence, issue.ocr_length_digit)
            item = self._ledger._invoice_item(numbered, account, issue.page_token, "", sequence, now)
            item.run_id = None  # issued by the merchant's API, not by a run
            # The customer's stream: subscription.changed is numbered after the customer's last event.
            seq = customer_seq(tenant_id, customer_id) or 0
            customer_actions: list[Any] = [
                CustomerModel.subscription.set(issue.subscription),
                CustomerModel.subscription_version.set(issue.version + 1),
                CustomerModel.invoices_issued.add(1),
            ]
            customer_condition = _version_is(issue.version)
            if issue.changed is not None:
                customer_actions.append(CustomerModel.event_seq.set(seq + 1))
                customer_condition = customer_condition & seq_is(seq)
            try:
                with Transaction(connection=connection()) as tx:
                    tx.update(
                        CounterModel(counter_id),
                        actions=[CounterModel.value.set(sequence)],
                        condition=CounterModel.value == current
                        if current
                        else CounterModel.counter_id.does_not_exist(),
                    )
                    tx.save(item, condition=InvoiceModel.invoice_id.does_not_exist())
                    tx.update(
                        CustomerModel(tenant_id, customer_id),
                        actions=customer_actions,
                        condition=customer_condition,
                    )
                    # The invoice.issued event, in the issuing transaction (docs/events.md); last, so
                    # the cancellation reasons above keep their places.
                    add_event(tx, issued_event(numbered, now), now)
                    if issue.changed is not None:
                        add_event(tx, on_customer(issue.changed, tenant_id, customer_id, seq + 1), now)
            except TransactWriteError as exc:
                codes = codes_as_added(exc, tx)
                if (
                    len(codes) >= 3
                    and codes[2] == "ConditionalCheckFailed"
                    and codes[1] != "ConditionalCheckFailed"
                    and (issue.changed is None or customer_seq(tenant_id, customer_id) == seq)
                ):
                    if self.invoice(tenant_id, invoice.invoice_id) is None:
                        return None  # the subscription moved on: nothing was written
                if {c for c in codes if c} <= {
                    "ConditionalCheckFailed",
                    "TransactionConflict",
                    "ThrottlingError",
                }:
                    continue  # a race for the number, or this very invoice: look again
                raise RetryableError(f"storing the plan-change invoice failed: {exc}") from exc
            return stored_invoice(item)
        raise RetryableError("could not allocate an invoice number: too much contention; retry later")
