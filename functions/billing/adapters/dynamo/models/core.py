"""The billing run's tables: tenants, customers (with the due index), usage, counters, runs, the usage
ledger and API keys."""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import IncludeProjection, KeysOnlyProjection

from billing.adapters.dynamo.models.base import TableIndex, TableModel


class TenantModel(TableModel):
    tenant_id = UnicodeAttribute(hash_key=True)
    settings = JSONAttribute()  # billing.domain TenantSettings shape (docs/pricing.md)
    catalog = JSONAttribute()  # plans and charges (docs/pricing.md)
    page = JSONAttribute(default=dict)  # branding and page settings (name, colour, support email)
    # Bumped by every catalog write: a plan version is added only to the catalog it was checked
    # against (billing.adapters.dynamo.price_changes).
    catalog_revision = NumberAttribute(null=True)
    # True when every Stripe id the tenant's invoices and customers name has its StripeRefsTable item:
    # set at creation, or by `billing payments index-refs` for a tenant created before that table.
    # Until then a look-up that misses also reads the tenant's partition (billing.adapters.dynamo.mandates).
    stripe_ids_indexed = BooleanAttribute(null=True)


class DueIndex(TableIndex["CustomerModel"], name="due_index", projection=KeysOnlyProjection()):
    due_bucket = UnicodeAttribute(hash_key=True)
    next_invoice_date = UnicodeAttribute(range_key=True)


class CustomerModel(TableModel):
    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    profile = JSONAttribute()  # billing.domain Customer shape, plus email
    # billing.domain Subscription shape. A customer the merchant created through the API has none
    # until a subscription starts; without one it has no schedule and is in no due index.
    subscription = JSONAttribute(null=True)
    email = UnicodeAttribute()
    # The billing schedule: the next period to invoice and the day it is due for invoicing.
    next_period_start = UnicodeAttribute(null=True)
    next_invoice_date = UnicodeAttribute(null=True)
    due_bucket = UnicodeAttribute(null=True)
    # The merchant's API (billing.services.customers): the 12-digit personnummer of a private
    # customer, never printed; when the record was created and last changed (the update condition).
    personal_number = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    # Bumped by every subscription change through the API (the condition of the next one).
    subscription_version = NumberAttribute(null=True)
    invoices_issued = NumberAttribute(default=0)
    # Credit in minor units (overpayments, credit notes), applied to the next invoice.
    balance = NumberAttribute(default=0)
    coupons = JSONAttribute(default=list)  # billing.domain Coupon shapes, with times_applied
    # Stripe: the customer's saved payment method for automatic payment (docs/payments.md).
    stripe = JSONAttribute(null=True)
    # The contract term on reminder fees: from this day (ISO) the customer agreed to them; absent: never
    # (docs/dunning.md). A fee is charged only on invoices issued on or after it.
    reminder_fee_agreed_on = UnicodeAttribute(null=True)
    # The customer's spend alert and when it last fired and was mailed (billing.domain.spend_alerts).
    spend_alert = JSONAttribute(null=True)
    # The last sequence of the customer's outbox stream (`customer#<id>`: mandates, subscription
    # changes), advanced under a condition in each event's transaction (dynamo/customer_events.py).
    event_seq = NumberAttribute(null=True)
    # How many keys its daily usage totals are spread over: 1 from creation, raised when ingestion
    # measures a volume one key cannot take; absent on customers created before the count was kept,
    # whose totals are over all 8 (billing.adapters.dynamo.usage_keys).
    usage_shards = NumberAttribute(null=True)
    due_index = DueIndex()


class UsageModel(TableModel):
    """Raw events recorded before the ledger's event items held them: read (and erased) until their
    TTL ends, never written (billing.adapters.dynamo.usage_events)."""

    customer_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<customer>"
    event_key = UnicodeAttribute(range_key=True)  # "<iso timestamp>#<event id>": time-ordered
    event = JSONAttribute()  # billing.domain UsageEvent shape
    expires_at = TTLAttribute(null=True)


class RunItemModel(TableModel):
    """One billing run: a summary item ("summary") and one item per customer ("Q#c" queued,
    "O#c" outcome). Outcomes are written once (conditional), so counters stay exact on retries."""

    run_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    run_date = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    queued = NumberAttribute(null=True)
    invoiced = NumberAttribute(null=True)
    skipped = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)
    amounts = MapAttribute[str, Any](null=True)  # currency -> minor units billed
    expires_at = TTLAttribute(null=True)


class CounterModel(TableModel):
    counter_id = UnicodeAttribute(hash_key=True)  # "<tenant>#<series>"
    value = NumberAttribute(default=0)


class UsageEventIndex(
    TableIndex["UsageLedgerModel"], name="event_index", projection=IncludeProjection(["event"])
):
    """A customer's raw events in time order (event items only: the index is sparse)."""

    event_customer = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)


class UsageLedgerModel(TableModel):
    """Ingestion's ledger (docs/usage.md): an item per event id (pk "<tenant>#id#<event id>", sk "-"),
    its duplicate marker and the raw event in one, and daily totals per customer, metric and shard
    (pk "<tenant>#<customer>#t<shard>", sk "<local day>#<metric>")."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    # Event items: "<instant>#<event id>", the raw event's place in its customer's time order. Markers
    # of events recorded before the ledger held them have it too, naming their UsageTable item.
    event_key = UnicodeAttribute(null=True)
    event_customer = UnicodeAttribute(null=True)  # event items: "<tenant>#<customer>", the index key
    event = JSONAttribute(null=True)  # event items: the event as it was sent (UsageEvent's shape)
    events_by_customer = UsageEventIndex()
    total_micros = NumberAttribute(null=True)  # totals: the sum of values in millionths, exact
    event_count = NumberAttribute(null=True)  # totals: the number of events
    expires_at = TTLAttribute(null=True)


class ApiKeyModel(TableModel):
    """An API key, by the SHA-256 of the key (hex); the key itself is never stored."""

    key_hash = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)  # the key's first characters, to tell keys apart in listings
    created_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    # usage | full (billing.services.api_keys); keys from before scopes existed have none: usage.
    scope = UnicodeAttribute(null=True)
