"""DynamoDB storage of what Stripe payments need besides the payment aggregate (docs/payments.md).

- Per invoice, `state["stripe"]` on the invoice item: the Checkout attempts, the collector's charge
  attempts, credit notes issued for refunds. Updated optimistically on the invoice's `version`, like
  every other per-module state, so it never overwrites the payment aggregate or another module's state.
- Per customer, the `stripe` attribute of the customer item: the saved payment method (mandate) for
  automatic payment and why automatic payment stopped, if it did. A save that approves or ends a
  mandate carries its event onto the customer's outbox stream in the same transaction.
- Look-ups for events that carry none of our metadata (disputes, mandate updates, detached methods):
  one read of the Stripe id's item, put before the record that first names the id is saved
  (billing.adapters.dynamo.stripe_refs). For a tenant whose older records are not indexed yet, a miss
  also queries the tenant's partition filtered on the id, as before that table.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from billing.adapters.dynamo.customer_events import ATTEMPTS, customer_seq, update_customer_with_event
from billing.adapters.dynamo.invoice_state import change_state
from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from billing.adapters.dynamo.stores.base import customer_key
from billing.adapters.dynamo.stripe_refs import Owner, indexed, owner_of, remember
from billing.domain.merchant_events import EventDraft
from billing.domain.payments.invoice_record import StripeInvoiceRecord
from billing.services.errors import PermanentError, RetryableError
from billing.services.payments.ports import CustomerChange, InvoiceRecordChange

STATE_KEY = "stripe"


class DynamoStripeRecords:
    """Implements `billing.services.payments.StripeRecords`."""

    def invoice_record(self, tenant_id: str, invoice_id: str) -> StripeInvoiceRecord:
        try:
            item = InvoiceModel.get(tenant_id, invoice_id, consistent_read=True)
        except DoesNotExist:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice_id") from None
        return StripeInvoiceRecord.from_record((item.state or {}).get(STATE_KEY))

    def update_invoice_record(
        self, tenant_id: str, invoice_id: str, change: InvoiceRecordChange
    ) -> StripeInvoiceRecord:
        """Apply `change` to the invoice's Stripe record and store it (invoice_state.change_state)."""

        def apply(state: dict[str, Any]) -> dict[str, Any] | None:
            before = StripeInvoiceRecord.from_record(state.get(STATE_KEY))
            after = change(before)
            if after == before:
                return None
            stored = after.to_record()
            remember(tenant_id, Owner.INVOICE, invoice_id, before.to_record(), stored)
            return {**state, STATE_KEY: stored}

        changed = change_state(tenant_id, invoice_id, apply, what="saving the invoice's Stripe record")
        if changed is None:
            raise PermanentError(f"no invoice {invoice_id}", field="invoice_id")
        return StripeInvoiceRecord.from_record(changed.state.get(STATE_KEY))

    def find_invoice(self, tenant_id: str, reference: str) -> str | None:
        """The invoice `reference` (a PaymentIntent, Checkout Session or charge id) was made for."""
        found = owner_of(tenant_id, Owner.INVOICE, reference)
        if found is not None or indexed(tenant_id):
            return found
        return _first_naming(InvoiceModel, InvoiceModel.state, "invoice_id", tenant_id, reference)

    def open_invoices_due(self, tenant_id: str, on: date) -> list[str]:
        """Unpaid invoices due on or before `on` (the sparse open index), oldest due first."""
        return [
            str(item.invoice_id)
            for item in InvoiceModel.open_index.query(
                f"{tenant_id}#open", InvoiceModel.due_date <= on.isoformat()
            )
        ]

    def open_invoices_of(self, tenant_id: str, customer_id: str) -> list[str]:
        """The customer's unpaid invoices, oldest due first: one query of the customer's invoices (the
        customer index), keeping those still on the open index."""
        items = InvoiceModel.customer_index.query(
            customer_key(tenant_id, customer_id), filter_condition=InvoiceModel.open_bucket.exists()
        )
        return [str(i.invoice_id) for i in sorted(items, key=lambda i: (str(i.due_date), str(i.invoice_id)))]

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]:
        try:
            item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return {}
        return dict(item.stripe or {})

    def change_customer_record(
        self, tenant_id: str, customer_id: str, change: CustomerChange
    ) -> tuple[dict[str, Any], EventDraft | None] | None:
        """Apply `change` to the customer's Stripe record and store what it answers, with its event
        (mandate.approved or mandate.cancelled) numbered on the customer's stream in the same
        transaction; None when `change` answers None (nothing to change).

        Stored only if the record is still the one `change` read: a Stripe event and a customer's click,
        or two Stripe events for one customer on two processors (a new card's setup and the old card's
        detachment arrive together), each read the record, and the later save must not put back what
        the earlier one replaced. When it changed, it is read again and `change` decides again."""
        for _ in range(ATTEMPTS):
            before = self.customer_record(tenant_id, customer_id)
            changed = change(copy.deepcopy(before))
            if changed is None:
                return None
            record, event = changed
            remember(tenant_id, Owner.CUSTOMER, customer_id, before, record)
            # The stored JSON text compared with the record read: json.loads keeps its key order, so
            # the same record serializes to the same text (another order only reads again).
            unchanged = CustomerModel.stripe == before
            if not before:
                unchanged = unchanged | CustomerModel.stripe.does_not_exist()
            try:
                saved = update_customer_with_event(
                    tenant_id,
                    customer_id,
                    actions=[CustomerModel.stripe.set(record)],
                    condition=CustomerModel.customer_id.exists() & unchanged,
                    draft=event,
                    what="saving the customer's mandate",
                )
            except UpdateError as exc:
                raise RetryableError(f"saving the customer's mandate failed: {exc}") from exc
            if saved:
                return record, event
            if customer_seq(tenant_id, customer_id) is None:
                raise PermanentError(f"no customer {customer_id}", field="customer_id")
        raise RetryableError("saving the customer's mandate failed: too much contention")

    def find_customer(self, tenant_id: str, reference: str) -> str | None:
        """The customer `reference` (a payment method, mandate or Stripe customer id) was saved for."""
        found = owner_of(tenant_id, Owner.CUSTOMER, reference)
        if found is not None or indexed(tenant_id):
            return found
        return _first_naming(CustomerModel, CustomerModel.stripe, "customer_id", tenant_id, reference)


def _first_naming(model: Any, record: Any, key: str, tenant_id: str, reference: str) -> str | None:
    """Before StripeRefsTable: the first item of the tenant's partition whose record mentions
    `reference`. Consistent, as a held dispute must see a payment stored a moment before."""
    for item in model.query(
        tenant_id, filter_condition=record.contains(reference), attributes_to_get=[key], consistent_read=True
    ):
        return str(getattr(item, key))
    return None
