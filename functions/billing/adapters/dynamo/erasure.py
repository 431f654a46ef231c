"""DynamoDB side of erasing a customer (billing.services.erasure, docs/privacy.md)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.autogiro import _payer_key
from billing.adapters.dynamo.models import (
    AutogiroModel,
    CustomerModel,
    InvoiceEventModel,
    InvoiceModel,
    PageActivityModel,
    UsageLedgerModel,
)
from billing.adapters.dynamo.page_activity import activity_key
from billing.adapters.dynamo.stores import customer_key, stored_invoice
from billing.adapters.dynamo.stripe_refs import Owner, forget
from billing.adapters.dynamo.usage_events import delete_events
from billing.adapters.dynamo.usage_keys import TOTAL_SHARDS, totals_key
from billing.services.customer_data.ports import KeptIdentity
from billing.services.ports import StoredInvoice


def identity_key(tenant_id: str, pseudonym: str) -> str:
    """Where the identity behind a pseudonym is kept (in the audit table, beside the invoices' trails)."""
    return f"{tenant_id}#erased#{pseudonym}"


class DynamoErasureStore:
    def invoices(self, tenant_id: str, customer_id: str) -> list[StoredInvoice]:
        # The customer's whole history, instalments included (they carry the same customer key).
        return [
            stored_invoice(i) for i in InvoiceModel.customer_index.query(customer_key(tenant_id, customer_id))
        ]

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool:
        try:
            CustomerModel.get(tenant_id, customer_id, consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def pseudonymise_invoice(
        self, stored: StoredInvoice, pseudonym: str, buyer: dict[str, Any], page_token: str
    ) -> None:
        document = stored.invoice.to_dict()
        document["customer_id"] = pseudonym
        document["buyer"] = buyer
        document["subscription_id"] = None  # merchants name subscriptions after customers
        InvoiceModel(stored.tenant_id, stored.invoice_id).update(
            actions=[
                InvoiceModel.customer_id.set(pseudonym),
                InvoiceModel.customer_key.set(customer_key(stored.tenant_id, pseudonym)),
                InvoiceModel.document.set(document),
                InvoiceModel.page_token.set(page_token),
                InvoiceModel.questions.remove(),
                InvoiceModel.offer_clicks.remove(),
                InvoiceModel.feedback.remove(),
                InvoiceModel.first_viewed_at.remove(),
                InvoiceModel.last_viewed_at.remove(),
                InvoiceModel.version.add(1),
            ],
            condition=InvoiceModel.invoice_id.exists(),
        )
        key = activity_key(stored.tenant_id, stored.invoice_id)
        with PageActivityModel.batch_write() as batch:
            for item in PageActivityModel.query(key, consistent_read=True):
                batch.delete(item)

    def keep_identity(self, kept: KeptIdentity) -> None:
        InvoiceEventModel(
            identity_key(kept.tenant_id, kept.pseudonym),
            f"{kept.at.astimezone(UTC).isoformat()}#identity",
            action="customer_erased",
            actor="operator",
            actor_id=kept.operator,
            details=kept.identity,
            expires_at=kept.until,
        ).save()

    def delete_customer(self, tenant_id: str, customer_id: str) -> None:
        try:
            saved = CustomerModel.get(tenant_id, customer_id, consistent_read=True).stripe
        except DoesNotExist:
            saved = None
        # The ids of its saved method and mandate would otherwise still lead to the erased customer's id.
        forget(tenant_id, Owner.CUSTOMER, customer_id, saved or {})
        CustomerModel(tenant_id, customer_id).delete()

    def delete_mandate(self, tenant_id: str, customer_id: str) -> bool:
        try:
            mandate = AutogiroModel.get(tenant_id, f"mandate#{customer_id}", consistent_read=True)
        except DoesNotExist:
            return False
        if mandate.payer_number:
            number = str(mandate.payer_number)
            for form in {number, number.lstrip("0")}:
                AutogiroModel(tenant_id, _payer_key(form)).delete()
        mandate.delete()
        return True

    def delete_usage(self, tenant_id: str, customer_id: str) -> int:
        deleted = delete_events(tenant_id, customer_id)
        with UsageLedgerModel.batch_write() as ledger:
            for shard in range(TOTAL_SHARDS):
                for total in UsageLedgerModel.query(totals_key(tenant_id, customer_id, shard)):
                    ledger.delete(total)
        return deleted
