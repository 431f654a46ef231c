"""The transactional outbox, the append-only money audit trail and the merchant's webhook endpoints."""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, KeysOnlyProjection

from billing.adapters.dynamo.models.base import TableIndex, TableModel, TenantItems


class PendingOutboxIndex(TableIndex["OutboxModel"], name="pending_index", projection=KeysOnlyProjection()):
    pending_bucket = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class OutboxModel(TableModel):
    """The transactional outbox (billing.domain.outbox): one item per state change, written in the
    change's own transaction, per stream ("<tenant>#invoice#<id>") by sequence. `done` maps each
    effect that has succeeded to "done" (or an email's claim, "sending:<iso>"); `pending_bucket` is set
    while any effect is still to do (the sparse pending_index the sweep reads)."""

    stream_key = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()  # ISO, timezone-aware
    payload = JSONAttribute()
    effects = JSONAttribute(default=list)
    context = JSONAttribute(null=True)  # what an effect needs that the payload does not say
    done = MapAttribute[str, Any](default=dict)
    pending_bucket = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)  # "<iso written>#<event id>"
    pending_index = PendingOutboxIndex()


class CustomerMoneyIndex(TableIndex["MoneyAuditModel"], name="customer_index", projection=AllProjection()):
    customer_key = UnicodeAttribute(hash_key=True)
    at_key = UnicodeAttribute(range_key=True)


class MoneyAuditModel(TableModel):
    """The append-only money audit trail (billing.domain.audit_trail): per invoice
    ("<tenant>#<invoice>"), one entry per outbox event and kind ("<seq>#invoice", "<seq>#balance").
    Written only with a does-not-exist condition; no function may update or delete it (template.yaml)."""

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


class WebhookEndpointModel(TenantItems):
    """A tenant's webhook endpoints (billing.services.outbox.webhooks), "endpoint#<id>" each: its URL,
    the event types it wants and its signing secret (the table is encrypted at rest)."""

    url = UnicodeAttribute()
    secret = UnicodeAttribute()
    event_types = JSONAttribute(default=list)
    enabled = BooleanAttribute(default=True)
