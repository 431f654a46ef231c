"""Stripe payments as use cases: pay on the page, save a mandate, process a verified event, collect on due.

- `StartPayment.pay(token)` / `.autopay(token)`: the page's Pay and "pay automatically" links. One
  Checkout Session per invoice and attempt (the gateway's idempotency key is `<invoice>:checkout:<n>`);
  clicking again within the session's life, or a retried request, gets the same session back.
- `ProcessStripeEvent(tenant_id, event)`: one verified webhook event, mapped to a domain event. Payment
  facts go through `ApplyPaymentEvent` (amounts, balance, audit, page, receipt, once each); mandate
  events update the customer's saved method; refunds become credit notes; disputes flag the invoice.
- `FollowMandate(event)`: a card mandate's outbox effect: the customer's open invoices charged from
  now on, or handed back with one email when automatic payment stopped; the change of method confirmed.
- `CollectDuePayments(tenant_id, today)`: the daily collector. Charges each open invoice due by today
  whose customer has an active mandate, off-session, on the tenant's retry schedule.

Tenant settings live in the tenant's page document under "payments" (docs/payments.md).

The package, a module per concern: `settings`, `ports`, `mandates` (the customer's stored mandate),
the invoice's Stripe record typed in billing.domain.payments.invoice_record,
`start_payment`, `process_stripe_event`, `follow_mandate`, `collect_due_payments`, `page_state`.
"""

from __future__ import annotations

from billing.domain.payments.invoice_record import (
    CHARGE_DONE,
    ChargeRecord,
    CreditNoteEntry,
    SessionRecord,
    StripeInvoiceRecord,
    stripe_record,
)
from billing.services.payments.collect_due_payments import (
    CollectDuePayments,
    CollectorSummary,
)
from billing.services.payments.follow_mandate import FollowMandate, MandateFollowUp
from billing.services.payments.mandates import mandate_from_record, mandate_to_record
from billing.services.payments.page_state import (
    page_autopay_state,
    page_credit_notes,
    page_payment_links,
)
from billing.services.payments.ports import (
    GatewayFor,
    HeldEvents,
    MandateFollowers,
    MethodChange,
    PaymentEmails,
    PaymentGateway,
    StripeRecords,
)
from billing.services.payments.process_stripe_event import (
    EventOutcome,
    ProcessStripeEvent,
)
from billing.services.payments.settings import (
    DEFAULT_AUTOPAY_METHODS,
    DEFAULT_METHODS,
    DEFAULT_RETRY_DAYS,
    SESSION_REUSE,
    PaymentSettings,
)
from billing.services.payments.start_payment import (
    NothingToPay,
    PaymentsDisabled,
    StartPayment,
    payment_description,
    payment_metadata,
)

__all__ = [
    "CHARGE_DONE",
    "DEFAULT_AUTOPAY_METHODS",
    "DEFAULT_METHODS",
    "DEFAULT_RETRY_DAYS",
    "SESSION_REUSE",
    "ChargeRecord",
    "CollectDuePayments",
    "CollectorSummary",
    "CreditNoteEntry",
    "EventOutcome",
    "FollowMandate",
    "GatewayFor",
    "HeldEvents",
    "MandateFollowUp",
    "MandateFollowers",
    "MethodChange",
    "NothingToPay",
    "PaymentEmails",
    "PaymentGateway",
    "PaymentSettings",
    "PaymentsDisabled",
    "ProcessStripeEvent",
    "SessionRecord",
    "StartPayment",
    "StripeInvoiceRecord",
    "StripeRecords",
    "mandate_from_record",
    "mandate_to_record",
    "page_autopay_state",
    "page_credit_notes",
    "page_payment_links",
    "payment_description",
    "payment_metadata",
    "stripe_record",
]
