"""Payments of an invoice, independent of any provider: states, amounts and provider events as facts.

Two things live here, all pure (billing.adapters.stripe_event_reader reads Stripe's JSON into these
events):

1. A forward-only state machine per payment (one Stripe PaymentIntent is one payment). Webhooks
   arrive late, twice and out of order, so a state only moves forward and the order is judged from
   the object's own state and timestamp, never from the order of delivery: a late "processing" never
   undoes "succeeded", a success always supersedes a failure.
2. The invoice's payments as one aggregate (`InvoicePayments`): the amount still due after partial
   payments, the excess of an overpayment (for the customer balance), the cumulative refunds (for credit
   notes) and open disputes. Amounts are integers in minor units (öre, cents) throughout.

The package imports nothing outside the standard library; times are passed in, always aware. Its
parts: `state` (methods, one payment's state machine, amounts), `events` (provider events as facts),
`invoice_payments` (the aggregate), `collection` (gateway results, the mandate, the daily collector),
`invoice_record` (the invoice's Stripe record: sessions, the collector's charge, credit notes, autopay).
Callers import from the package; the names below are its public surface.
"""

from __future__ import annotations

from billing.domain.payments.collection import (
    ChargeResult,
    ChargeStatus,
    CheckoutSession,
    CollectorAction,
    CollectorDecision,
    FallbackReason,
    Mandate,
    MandateOutcome,
    apply_mandate_event,
    decide_after_charge,
    validate_retry_schedule,
)
from billing.domain.payments.events import (
    DisputeClosed,
    DisputeOpened,
    DisputeStatus,
    DomainPaymentEvent,
    IgnoredEvent,
    MandateActivated,
    MandateDetached,
    MandateStatus,
    MandateUpdated,
    PaymentEvent,
    PaymentFailed,
    PaymentProcessing,
    PaymentReversed,
    PaymentSucceeded,
    RefundIssued,
    advance_dispute,
    advance_mandate,
    refund_delta,
)
from billing.domain.payments.invoice_payments import (
    InvoicePayments,
    InvoicePaymentStatus,
    PaymentOutcome,
    apply_event,
    awaited_payment,
)
from billing.domain.payments.invoice_record import (
    ACTIVE,
    CHARGE_DONE,
    STOPPED,
    ChargeRecord,
    CreditNoteEntry,
    SessionRecord,
    StripeInvoiceRecord,
    stripe_record,
)
from billing.domain.payments.state import (
    CURRENCY_BOUND_METHODS,
    METADATA_ATTEMPT,
    METADATA_CUSTOMER_ID,
    METADATA_INVOICE_ID,
    METADATA_TENANT_ID,
    REUSABLE_METHODS,
    PaymentApplication,
    PaymentDataError,
    PaymentState,
    PaymentStatus,
    advance,
    apply_payment,
    check_minor_units,
    choose_payment_methods,
)

__all__ = [
    "ACTIVE",
    "CHARGE_DONE",
    "CURRENCY_BOUND_METHODS",
    "METADATA_ATTEMPT",
    "METADATA_CUSTOMER_ID",
    "METADATA_INVOICE_ID",
    "METADATA_TENANT_ID",
    "REUSABLE_METHODS",
    "STOPPED",
    "ChargeRecord",
    "ChargeResult",
    "ChargeStatus",
    "CheckoutSession",
    "CollectorAction",
    "CollectorDecision",
    "CreditNoteEntry",
    "DisputeClosed",
    "DisputeOpened",
    "DisputeStatus",
    "DomainPaymentEvent",
    "FallbackReason",
    "IgnoredEvent",
    "InvoicePaymentStatus",
    "InvoicePayments",
    "Mandate",
    "MandateActivated",
    "MandateDetached",
    "MandateOutcome",
    "MandateStatus",
    "MandateUpdated",
    "PaymentApplication",
    "PaymentDataError",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentOutcome",
    "PaymentProcessing",
    "PaymentReversed",
    "PaymentState",
    "PaymentStatus",
    "PaymentSucceeded",
    "RefundIssued",
    "SessionRecord",
    "StripeInvoiceRecord",
    "advance",
    "advance_dispute",
    "advance_mandate",
    "apply_event",
    "apply_mandate_event",
    "apply_payment",
    "awaited_payment",
    "check_minor_units",
    "choose_payment_methods",
    "decide_after_charge",
    "refund_delta",
    "stripe_record",
    "validate_retry_schedule",
]
