"""The invoice page's note about automatic payment that did not go through (docs/payments.md), read
from the invoice's Stripe record.

When the collector needs the customer (their bank wants them to confirm) or automatic payment stopped
(a detached or revoked method, declines on every retry), the page says so right after the summary:
`billing.domain.page.customer_blocks.PaymentNoticeBlock`, rendered by templates/blocks/payment_notice.
"""

from __future__ import annotations

from billing.domain.page.customer_blocks import PaymentNoticeBlock, payment_notice_block
from billing.domain.payments import stripe_record
from billing.services.ports import StoredInvoice


def payment_notice(stored: StoredInvoice) -> PaymentNoticeBlock | None:
    """The note for an invoice still to be paid, or None when there is nothing to say."""
    record = stripe_record(stored.state)
    return payment_notice_block(
        status=stored.status,
        credit_note=stored.invoice.kind == "credit_note",
        charge_status=record.charge.status if record.charge else None,
        fallback=bool(record.fallback),
    )
