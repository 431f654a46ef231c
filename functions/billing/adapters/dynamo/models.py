"""PynamoDB models, one per table in template.yaml (a test keeps the two in step).

Table names are not known until runtime (CloudFormation names them), so `bind(settings)` sets them
once at cold start. Business documents (tenant settings, catalog, customer profile, the computed
invoice) are stored as JSON strings: exact integers and decimal strings survive the round trip,
which a DynamoDB map of numbers-as-floats would not guarantee through PynamoDB's raw maps.
"""

from __future__ import annotations

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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from billing.settings import Settings

_PLACEHOLDER = "unbound"  # bind() sets the real name; using a model before that fails loudly


class TenantModel(Model):
    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    settings = JSONAttribute()  # billing.domain TenantSettings shape (docs/pricing.md)
    catalog = JSONAttribute()  # plans and charges (docs/pricing.md)
    page = JSONAttribute(default=dict)  # branding and page settings (name, colour, support email)
    # Bumped by every catalog write: a plan version is added only to the catalog it was checked
    # against (billing.adapters.dynamo.price_changes).
    catalog_revision = NumberAttribute(null=True)


class DueIndex(GlobalSecondaryIndex["CustomerModel"]):
    class Meta:
        index_name = "due_index"
        projection = KeysOnlyProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    next_invoice_date = UnicodeAttribute(range_key=True)


class CustomerModel(Model):
    class Meta:
        table_name = _PLACEHOLDER

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
    due_index = DueIndex()


class UsageModel(Model):
    class Meta:
        table_name = _PLACEHOLDER

    customer_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<customer>"
    event_key = UnicodeAttribute(range_key=True)  # "<iso timestamp>#<event id>": time-ordered
    event = JSONAttribute()  # billing.domain UsageEvent shape
    expires_at = TTLAttribute(null=True)


class CustomerInvoicesIndex(GlobalSecondaryIndex["InvoiceModel"]):
    class Meta:
        index_name = "customer_index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    period_start = UnicodeAttribute(range_key=True)


class PageIndex(GlobalSecondaryIndex["InvoiceModel"]):
    class Meta:
        index_name = "page_index"
        projection = KeysOnlyProjection()

    page_token = UnicodeAttribute(hash_key=True)


class OpenInvoicesIndex(GlobalSecondaryIndex["InvoiceModel"]):
    class Meta:
        index_name = "open_index"
        projection = KeysOnlyProjection()

    open_bucket = UnicodeAttribute(hash_key=True)
    due_date = UnicodeAttribute(range_key=True)


class OcrIndex(GlobalSecondaryIndex["InvoiceModel"]):
    """A bank payment names its invoice by OCR number only (docs/bgmax.md). Hashed on the OCR, so
    one tenant's invoices spread over many partitions; the tenant is the range key, so a lookup never
    crosses tenants. Sparse: a document without an OCR number (a credit note) has no `ocr`."""

    class Meta:
        index_name = "ocr_index"
        projection = KeysOnlyProjection()

    ocr = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class InvoiceModel(Model):
    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    period_start = UnicodeAttribute()
    period_end = UnicodeAttribute()
    number = UnicodeAttribute()
    sequence = NumberAttribute()
    ocr = UnicodeAttribute(null=True)  # absent when the document has none (ocr_index is sparse)
    page_token = UnicodeAttribute()
    status = UnicodeAttribute()  # open | paid | credited | void
    open_bucket = UnicodeAttribute(null=True)  # set only while open: the sparse open_index
    due_date = UnicodeAttribute()
    currency = UnicodeAttribute()
    total = NumberAttribute()  # minor units
    amount_due = NumberAttribute()  # minor units
    document = JSONAttribute()  # billing.domain Invoice.to_dict()
    run_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    page_published_at = UTCDateTimeAttribute(null=True)
    email_status = UnicodeAttribute(null=True)  # sending | sent
    email_claimed_at = UTCDateTimeAttribute(null=True)
    email_sent_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=1)
    # What happened on the page and to the payment; the page is re-rendered from these.
    amount_paid = NumberAttribute(default=0)
    paid_at = UTCDateTimeAttribute(null=True)
    view_count = NumberAttribute(default=0)
    first_viewed_at = UTCDateTimeAttribute(null=True)
    last_viewed_at = UTCDateTimeAttribute(null=True)
    # Invoices issued before questions moved to PageActivityModel may still carry them here; nothing
    # appends to these any more (an attribute a page visitor could grow would break the item at 400 KB).
    questions = JSONAttribute(
        default=list
    )  # legacy: [{question_id, asked_at, text, line_id, answered_at, answer}]
    offer_clicks = JSONAttribute(default=dict)  # legacy: offer_id -> [iso timestamps]
    question_open = BooleanAttribute(default=False)
    # Bounded scalars about the questions in PageActivityModel (docs/invoice-page.md):
    question_count = NumberAttribute(null=True)  # questions asked, capped per invoice
    questions_unanswered = NumberAttribute(null=True)
    question_first_at = UTCDateTimeAttribute(null=True)  # the first question: start of the longest pause
    support_notified = BooleanAttribute(null=True)  # support got the digest of the open questions
    feedback = JSONAttribute(null=True)  # {score, text, at}
    state = JSONAttribute(default=dict)  # per-module state: payments, autopay, dunning, autogiro
    # The sequence of the invoice's last outbox event (OutboxModel): every transaction that writes
    # one sets it to the event's sequence, on the condition that it is still the one before.
    event_seq = NumberAttribute(null=True)
    customer_index = CustomerInvoicesIndex()
    page_index = PageIndex()
    open_index = OpenInvoicesIndex()
    ocr_index = OcrIndex()


class OpenQuestionsIndex(GlobalSecondaryIndex["PageActivityModel"]):
    """A tenant's unanswered questions, in the order they were asked (`GET /v1/questions`). Sparse:
    only a question item carries `open_tenant`, and answering removes it, so a page of the list costs
    one Query over open questions only, never a read of answered ones or of the tenant's invoices."""

    class Meta:
        index_name = "open_questions_index"
        projection = AllProjection()

    open_tenant = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)  # "<asked at, UTC ISO>#<invoice id>#<question id>"


class PageActivityModel(Model):
    """What visitors do on an invoice page, kept out of the invoice item so nothing they do can grow it
    (docs/invoice-page.md). Per invoice ("<tenant>#<invoice id>"): one item per question
    ("q#<question id>"), one counter per offer ("click#<offer id>") and one counter per day
    ("day#<YYYY-MM-DD>", with a TTL) that enforces the daily limits."""

    class Meta:
        table_name = _PLACEHOLDER

    invoice_key = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute(null=True)
    line_id = UnicodeAttribute(null=True)
    asked_at = UnicodeAttribute(null=True)
    answer = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    click_count = NumberAttribute(null=True)  # clicks on one offer
    questions = NumberAttribute(null=True)  # questions asked that day
    clicks = NumberAttribute(null=True)  # offer clicks that day
    first_at = UTCDateTimeAttribute(null=True)
    last_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # Set on a question while it is unanswered: the sparse open_questions_index.
    open_tenant = UnicodeAttribute(null=True)
    open_key = UnicodeAttribute(null=True)
    open_questions_index = OpenQuestionsIndex()


class RunItemModel(Model):
    """One billing run: a summary item ("summary") and one item per customer ("Q#c" queued,
    "O#c" outcome). Outcomes are written once (conditional), so counters stay exact on retries."""

    class Meta:
        table_name = _PLACEHOLDER

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


class InvoiceEventModel(Model):
    """The invoice's audit trail: every step (issued, emailed, viewed first, asked, paid, reminded,
    relief chosen, exported) with who did it, in time order."""

    class Meta:
        table_name = _PLACEHOLDER

    invoice_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<invoice id>"
    event_key = UnicodeAttribute(range_key=True)  # "<iso timestamp>#<short random id>"
    action = UnicodeAttribute()
    actor = UnicodeAttribute()  # system | customer | operator | stripe | bankgirot
    actor_id = UnicodeAttribute(null=True)
    details = JSONAttribute(default=dict)
    # Only the identity kept after an erasure expires (docs/privacy.md); invoice trails do not.
    expires_at = TTLAttribute(null=True)


class CounterModel(Model):
    class Meta:
        table_name = _PLACEHOLDER

    counter_id = UnicodeAttribute(hash_key=True)  # "<tenant>#<series>"
    value = NumberAttribute(default=0)


class UsageLedgerModel(Model):
    """Ingestion's bookkeeping (docs/usage.md): a duplicate marker per event id
    (pk "<tenant>#id#<event id>", sk "-") and daily totals per customer, metric and shard
    (pk "<tenant>#<customer>#t<shard>", sk "<local day>#<metric>")."""

    class Meta:
        table_name = _PLACEHOLDER

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute(null=True)
    event_key = UnicodeAttribute(null=True)  # marker: where the raw event is stored
    total_micros = NumberAttribute(null=True)  # totals: the sum of values in millionths, exact
    event_count = NumberAttribute(null=True)  # totals: the number of events
    expires_at = TTLAttribute(null=True)


class ApiKeyModel(Model):
    """An API key, by the SHA-256 of the key (hex); the key itself is never stored."""

    class Meta:
        table_name = _PLACEHOLDER

    key_hash = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)  # the key's first characters, to tell keys apart in listings
    created_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    # usage | full (billing.services.api_keys); keys from before scopes existed have none: usage.
    scope = UnicodeAttribute(null=True)


class AutogiroOutboxIndex(GlobalSecondaryIndex["AutogiroModel"]):
    class Meta:
        index_name = "outbox_index"
        projection = KeysOnlyProjection()

    outbox = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class AutogiroModel(Model):
    """Autogiro bookkeeping per tenant, several kinds of item (billing.adapters.dynamo.autogiro):
    "mandate#<customer>", "payer#<payer number>", "counter#payer", "debit#<invoice>#<date>",
    "import#<sha256>". `outbox` is set only while a mandate request waits to be sent (sparse index)."""

    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
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


class UnmatchedPaymentsIndex(GlobalSecondaryIndex["BankPaymentModel"]):
    class Meta:
        index_name = "unmatched_index"
        projection = AllProjection()

    unmatched = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class BankPaymentModel(Model):
    """Bank payments reported in BgMax files, per tenant (billing.adapters.dynamo.bank_payments):
    "deposit#<key>" (one TK15: one line on the bank statement), "payment#<payment id>" (one TK20 or
    TK21: what it claims and where it was booked) and "file#<sha256>" (a file imported).
    `unmatched` is set (to the tenant) only while a payment has money no invoice took: the sparse
    unmatched_index is the list an operator works through."""

    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    unmatched = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=1)
    unmatched_index = UnmatchedPaymentsIndex()


class StripeEventModel(Model):
    """Stripe events kept aside (billing.adapters.dynamo.stripe_events), per tenant:
    "held#<id it names>#<event id>" waits for the payment or invoice it names to arrive;
    "unusable#<event id>" could not be applied and waits for an operator (its code and field)."""

    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute(null=True)
    event = JSONAttribute(null=True)  # the verified event as Stripe sent it
    code = UnicodeAttribute(null=True)
    field = UnicodeAttribute(null=True)
    kept_at = UTCDateTimeAttribute()


class PendingOutboxIndex(GlobalSecondaryIndex["OutboxModel"]):
    class Meta:
        index_name = "pending_index"
        projection = KeysOnlyProjection()

    pending_bucket = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class OutboxModel(Model):
    """The transactional outbox (billing.domain.outbox): one item per state change, written in the
    change's own transaction, per stream ("<tenant>#invoice#<id>") by sequence. `done` maps each
    effect that has succeeded to "done" (or an email's claim, "sending:<iso>"); `pending_bucket` is set
    while any effect is still to do (the sparse pending_index the sweep reads)."""

    class Meta:
        table_name = _PLACEHOLDER

    stream_key = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()  # ISO, timezone-aware
    payload = JSONAttribute()
    effects = JSONAttribute(default=list)
    done = MapAttribute[str, Any](default=dict)
    pending_bucket = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)  # "<iso written>#<event id>"
    pending_index = PendingOutboxIndex()


class CustomerMoneyIndex(GlobalSecondaryIndex["MoneyAuditModel"]):
    class Meta:
        index_name = "customer_index"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    at_key = UnicodeAttribute(range_key=True)


class MoneyAuditModel(Model):
    """The append-only money audit trail (billing.domain.audit_trail): per invoice
    ("<tenant>#<invoice>"), one entry per outbox event and kind ("<seq>#invoice", "<seq>#balance").
    Written only with a does-not-exist condition; no function may update or delete it (template.yaml)."""

    class Meta:
        table_name = _PLACEHOLDER

    invoice_key = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)
    customer_key = UnicodeAttribute()  # "<tenant>#<customer>"
    at_key = UnicodeAttribute()  # "<iso>#<entry key>": the customer's entries in time order
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    reason = UnicodeAttribute()
    currency = UnicodeAttribute()
    before = JSONAttribute(default=dict)
    after = JSONAttribute(default=dict)
    change = NumberAttribute()
    customer_index = CustomerMoneyIndex()


class WebhookEndpointModel(Model):
    """A tenant's webhook endpoints (billing.services.outbox.webhooks), "endpoint#<id>" each: its URL,
    the event types it wants and its signing secret (the table is encrypted at rest)."""

    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    secret = UnicodeAttribute()
    event_types = JSONAttribute(default=list)
    enabled = BooleanAttribute(default=True)


class NoticeTokenIndex(GlobalSecondaryIndex["PriceChangeModel"]):
    class Meta:
        index_name = "token_index"
        projection = KeysOnlyProjection()

    page_token = UnicodeAttribute(hash_key=True)


class OpenChangesIndex(GlobalSecondaryIndex["PriceChangeModel"]):
    class Meta:
        index_name = "open_index"
        projection = KeysOnlyProjection()

    open_bucket = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class PriceChangeModel(Model):
    """Price changes per tenant (billing.adapters.dynamo.price_changes): "change#<version>" (a plan's
    scheduled version; `open_bucket` set until every notice is carried out, so the daily run finds
    exactly the open ones) and "notice#<version>#<customer>" (one customer's notice: its page token,
    backtest, send state, choice and outcome)."""

    class Meta:
        table_name = _PLACEHOLDER

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)
    data = JSONAttribute()
    state = UnicodeAttribute(null=True)  # a change: noticing | noticed | done; a notice: pending | sent
    open_bucket = UnicodeAttribute(null=True)
    page_token = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    choice = UnicodeAttribute(null=True)
    chosen_at = UTCDateTimeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    token_index = NoticeTokenIndex()
    open_index = OpenChangesIndex()


class EngagementModel(Model):
    """Issue 18's bookkeeping (billing.adapters.dynamo.engagement): which invoice an email was
    ("msg#<SES message id>", "-"), the emails SES reported undelivered per tenant
    ("<tenant>#undelivered", "<ISO time>#<message id>") and monthly counts for the engagement report
    ("<tenant>#counts", "<YYYY-MM>#<name>", an ADD counter)."""

    class Meta:
        table_name = _PLACEHOLDER

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)  # invoice | reminder
    step = NumberAttribute(null=True)  # the reminder's step
    reason = UnicodeAttribute(null=True)  # bounce:Permanent/General, complaint:abuse, ...
    at = UnicodeAttribute(null=True)
    tally = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


MODELS_BY_TABLE_SETTING: dict[str, type[Model]] = {
    "tenants_table": TenantModel,
    "customers_table": CustomerModel,
    "usage_table": UsageModel,
    "invoices_table": InvoiceModel,
    "runs_table": RunItemModel,
    "counters_table": CounterModel,
    "usage_ledger_table": UsageLedgerModel,
    "api_keys_table": ApiKeyModel,
    "invoice_events_table": InvoiceEventModel,
    "autogiro_table": AutogiroModel,
    "bank_payments_table": BankPaymentModel,
    "stripe_events_table": StripeEventModel,
    "page_activity_table": PageActivityModel,
    "outbox_table": OutboxModel,
    "money_audit_table": MoneyAuditModel,
    "webhooks_table": WebhookEndpointModel,
    "price_changes_table": PriceChangeModel,
    "engagement_table": EngagementModel,
}


def bind(settings: Settings) -> None:
    """Point every model at its table. Call once per process, before the first request."""
    for setting, model in MODELS_BY_TABLE_SETTING.items():
        name = getattr(settings, setting)
        if model.Meta.table_name != name:
            model.Meta.table_name = name
            # PynamoDB caches a connection bound to the old name on the class.
            model._connection = None
