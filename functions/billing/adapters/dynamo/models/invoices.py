"""The invoices table with its indexes, the invoice's trail of steps, and the page's activity (questions,
clicks, views) kept beside it."""

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, KeysOnlyProjection

from billing.adapters.dynamo.models.base import CompressedJSONAttribute, TableIndex, TableModel


class CustomerInvoicesIndex(TableIndex["InvoiceModel"], name="customer_index", projection=AllProjection()):
    customer_key = UnicodeAttribute(hash_key=True)
    period_start = UnicodeAttribute(range_key=True)


class PageIndex(TableIndex["InvoiceModel"], name="page_index", projection=KeysOnlyProjection()):
    page_token = UnicodeAttribute(hash_key=True)


class OpenInvoicesIndex(TableIndex["InvoiceModel"], name="open_index", projection=KeysOnlyProjection()):
    open_bucket = UnicodeAttribute(hash_key=True)
    due_date = UnicodeAttribute(range_key=True)


class OcrIndex(TableIndex["InvoiceModel"], name="ocr_index", projection=KeysOnlyProjection()):
    """A bank payment names its invoice by OCR number only (docs/bgmax.md). Hashed on the OCR, so
    one tenant's invoices spread over many partitions; the tenant is the range key, so a lookup never
    crosses tenants. Sparse: a document without an OCR number (a credit note) has no `ocr`."""

    ocr = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute(range_key=True)


class MessageIndex(TableIndex["InvoiceModel"], name="message_index", projection=KeysOnlyProjection()):
    """SES's bounce or complaint names the message only: the invoice whose email it was. Sparse: only
    an emailed invoice carries `email_message_id`."""

    email_message_id = UnicodeAttribute(hash_key=True)


class InvoiceModel(TableModel):
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
    document = CompressedJSONAttribute()  # billing.domain Invoice.to_dict(), compressed
    run_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    page_published_at = UTCDateTimeAttribute(null=True)
    email_status = UnicodeAttribute(null=True)  # sending | sent
    email_claimed_at = UTCDateTimeAttribute(null=True)
    email_sent_at = UTCDateTimeAttribute(null=True)
    email_message_id = UnicodeAttribute(null=True)  # SES's id of the email: the sparse message_index
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
    message_index = MessageIndex()


class OpenQuestionsIndex(
    TableIndex["PageActivityModel"], name="open_questions_index", projection=AllProjection()
):
    """A tenant's unanswered questions, in the order they were asked (`GET /v1/questions`). Sparse:
    only a question item carries `open_tenant`, and answering removes it, so a page of the list costs
    one Query over open questions only, never a read of answered ones or of the tenant's invoices."""

    open_tenant = UnicodeAttribute(hash_key=True)
    open_key = UnicodeAttribute(range_key=True)  # "<asked at, UTC ISO>#<invoice id>#<question id>"


class PageActivityModel(TableModel):
    """What visitors do on an invoice page, kept out of the invoice item so nothing they do can grow it
    (docs/invoice-page.md). Per invoice ("<tenant>#<invoice id>"): one item per question
    ("q#<question id>"), one counter per offer ("click#<offer id>") and one counter per day
    ("day#<YYYY-MM-DD>", with a TTL) that enforces the daily limits."""

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


class InvoiceEventModel(TableModel):
    """The invoice's audit trail: every step (issued, emailed, viewed first, asked, paid, reminded,
    relief chosen, exported) with who did it, in time order."""

    invoice_key = UnicodeAttribute(hash_key=True)  # "<tenant>#<invoice id>"
    event_key = UnicodeAttribute(range_key=True)  # "<iso timestamp>#<short random id>"
    action = UnicodeAttribute()
    actor = UnicodeAttribute()  # system | customer | operator | stripe | bankgirot
    actor_id = UnicodeAttribute(null=True)
    details = JSONAttribute(default=dict)
    # Only the identity kept after an erasure expires (docs/privacy.md); invoice trails do not.
    expires_at = TTLAttribute(null=True)
