"""Payments' tables: Autogiro (mandates, payer numbers, its outbox to Bankgirot), bank payments from BgMax
files, and Stripe events kept aside."""

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, KeysOnlyProjection

from billing.adapters.dynamo.models.base import TableIndex, TenantItems


class AutogiroOutboxIndex(TableIndex["AutogiroModel"], name="outbox_index", projection=KeysOnlyProjection()):
    outbox = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class AutogiroModel(TenantItems):
    """Autogiro bookkeeping per tenant, several kinds of item (billing.adapters.dynamo.autogiro):
    "mandate#<customer>", "payer#<payer number>", "counter#payer", "debit#<invoice>#<date>",
    "import#<sha256>". `outbox` is set only while a mandate request waits to be sent (sparse index)."""

    outbox = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    payer_number = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)  # the item's details (mandate, debit mark, import summary)
    value = NumberAttribute(null=True)  # the payer-number counter
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=1)
    expires_at = TTLAttribute(null=True)  # set when a mandate ends (docs/privacy.md)
    outbox_index = AutogiroOutboxIndex()


class UnmatchedPaymentsIndex(
    TableIndex["BankPaymentModel"], name="unmatched_index", projection=AllProjection()
):
    unmatched = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class BankPaymentModel(TenantItems):
    """Bank payments reported in BgMax files, per tenant (billing.adapters.dynamo.bank_payments):
    "deposit#<key>" (one TK15: one line on the bank statement), "payment#<payment id>" (one TK20 or
    TK21: what it claims and where it was booked) and "file#<sha256>" (a file imported).
    `unmatched` is set (to the tenant) only while a payment has money no invoice took: the sparse
    unmatched_index is the list an operator works through."""

    unmatched = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=1)
    unmatched_index = UnmatchedPaymentsIndex()


class StripeEventModel(TenantItems):
    """Stripe events kept aside (billing.adapters.dynamo.stripe_events), per tenant:
    "held#<id it names>#<event id>" waits for the payment or invoice it names to arrive;
    "unusable#<event id>" could not be applied and waits for an operator (its code and field)."""

    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute(null=True)
    event = JSONAttribute(null=True)  # the verified event as Stripe sent it
    code = UnicodeAttribute(null=True)
    field = UnicodeAttribute(null=True)
    kept_at = UTCDateTimeAttribute()


class StripeRefModel(TenantItems):
    """A Stripe id and what it was made for (billing.adapters.dynamo.stripe_refs), per tenant:
    "invoice#<Stripe id>" (a Checkout Session, PaymentIntent or charge) and "customer#<Stripe id>" (a
    payment method, mandate or Stripe customer), each naming our invoice or customer id."""

    owner_id = UnicodeAttribute()
