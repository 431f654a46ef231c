"""Issue 18's tables: price changes with each customer's notice, and engagement bookkeeping (emails,
bounces, monthly counts)."""

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import KeysOnlyProjection

from billing.adapters.dynamo.models.base import TableIndex, TableModel, TenantItems


class NoticeTokenIndex(TableIndex["PriceChangeModel"], name="token_index", projection=KeysOnlyProjection()):
    page_token = UnicodeAttribute(hash_key=True)


class OpenChangesIndex(TableIndex["PriceChangeModel"], name="open_index", projection=KeysOnlyProjection()):
    open_bucket = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class PriceChangeModel(TenantItems):
    """Price changes per tenant (billing.adapters.dynamo.price_changes): "change#<version>" (a plan's
    scheduled version; `open_bucket` set until every notice is carried out, so the daily run finds
    exactly the open ones) and "notice#<version>#<customer>" (one customer's notice: its page token,
    backtest, send state, choice and outcome)."""

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


class EngagementModel(TableModel):
    """Issue 18's bookkeeping (billing.adapters.dynamo.engagement): which invoice an email was
    ("msg#<SES message id>", "-"), the emails SES reported undelivered per tenant
    ("<tenant>#undelivered", "<ISO time>#<message id>") and monthly counts for the engagement report
    ("<tenant>#counts", "<YYYY-MM>#<name>", an ADD counter)."""

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
