"""A one-off invoice (`POST /v1/customers/{id}/invoices`, `billing invoice create`): free-form items
(a set-up fee, consulting hours) priced by the engine (billing.domain.pricing.one_off_invoice: VAT per
line, rounding, the customer's credit balance), issued today in the tenant's invoice series by one
transaction like a run's invoice, then given its page, PDF and email by the run's own delivery.

The invoice's id is derived from the request key (the Idempotency-Key), so the same request again
finds the invoice it issued and finishes the delivery instead of issuing a second one. `preview=True`
answers the invoice that would be issued, unnumbered, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.domain.catalog import OneOffItem
from billing.domain.numbering import customer_series
from billing.domain.periods import Period
from billing.domain.pricing import one_off_invoice
from billing.domain.pricing_errors import ScenarioError
from billing.services.credit_notes.create import request_tag
from billing.services.errors import PermanentError
from billing.services.invoices.fields import OneOffInvoiceCreate, OneOffResult
from billing.services.invoices.ports import OneOffLedger
from billing.services.ports import Clock, DocumentIssue, TenantDirectory
from billing.services.subscriptions.documents import (
    NoSubscription,
    SubscriptionConflict,
    invoice_view,
    today_for,
)
from billing.services.subscriptions.ports import InvoiceDelivery, Tokens

# The customer's balance may be used by another invoice between our read and our transaction; each
# lost attempt means another request for the same customer won, so the budget is sized for a burst
# of concurrent requests (eight at once lost five times in a row in a loaded test run: 409 where a
# retry inside the request would have done).
ATTEMPTS = 20


@dataclass(frozen=True)
class CreateOneOffInvoice:
    ledger: OneOffLedger
    tenants: TenantDirectory
    delivery: InvoiceDelivery
    tokens: Tokens
    clock: Clock

    def __call__(
        self,
        tenant_id: str,
        customer_id: str,
        request: OneOffInvoiceCreate,
        *,
        request_key: str,
        preview: bool = False,
    ) -> OneOffResult:
        tenant = self.tenants.get(tenant_id)
        items = [
            OneOffItem(
                description=item.description,
                quantity=Decimal(item.quantity),
                unit_price=Decimal(item.unit_price),
                unit=item.unit,
                vat_rate=Decimal(item.vat_rate) if item.vat_rate is not None else None,
                code=item.code or None,
                period=Period(item.period.start, item.period.end) if item.period else None,
            )
            for item in request.items
        ]
        for _ in range(ATTEMPTS):
            account = self.ledger.account(tenant_id, customer_id)
            if account is None:
                if self.ledger.customer_exists(tenant_id, customer_id):
                    raise NoSubscription(
                        f"customer {customer_id!r} has no subscription; start one first", field="customer_id"
                    )
                raise PermanentError(f"no customer {customer_id!r}", field="customer_id", code="not_found")
            now = self.clock.now()
            try:
                invoice = one_off_invoice(
                    tenant=tenant.settings,
                    catalog=tenant.catalog,
                    customer=account.customer,
                    items=items,
                    issue_date=today_for(account.customer, now),
                    # Ids are per customer and day: the same request on another day is another invoice
                    reference=request_tag(request_key),
                    balance=max(0, account.balance),
                )
            except ScenarioError as error:
                raise PermanentError(error.reason, field=_field(error.field)) from None
            existing = self.ledger.get(tenant_id, invoice.invoice_id)
            if preview:
                shown = invoice_view(existing.invoice, existing) if existing else invoice_view(invoice)
                return OneOffResult(preview=True, invoice=shown)
            issued = existing or self.ledger.issue_one_off(
                DocumentIssue(
                    invoice=invoice,
                    account=account,
                    page_token=self.tokens.page_token(),
                    now=now,
                    series=customer_series(tenant.settings, account.customer.id),
                    ocr_length_digit=tenant.settings.ocr_length_digit,
                )
            )
            if issued is None:
                continue
            # After the commit: page, PDF and email, each once. A crash here leaves the invoice issued
            # and undelivered; the same request again finds it (its id) and delivers.
            self.delivery.deliver(issued, tenant, account)
            return OneOffResult(preview=preview, invoice=invoice_view(issued.invoice, issued))
        raise SubscriptionConflict("the customer's balance kept changing; try again", field="customer_id")


def _field(engine_field: str) -> str:
    """The engine names `one_off.items[i].x`; the caller sent `items[i].x`."""
    return engine_field.removeprefix("one_off.") or "items"
