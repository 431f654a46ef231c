"""What the invoice page shows of Stripe payments: pay links, refunds' credit notes, autopay's state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from billing.domain.autogiro.bankdays import stockholm_date
from billing.domain.page.context import CreditNoteRef
from billing.domain.payments import (
    CollectorAction,
)
from billing.domain.payments.invoice_record import stripe_record
from billing.services.errors import PermanentError
from billing.services.payments.settings import PaymentSettings
from billing.services.ports import (
    StoredInvoice,
)

# --------------------------------------------------------------------------------------------------
# What the invoice page shows of all this (used by the presenter)
# --------------------------------------------------------------------------------------------------


def page_payment_links(
    stored: StoredInvoice, page: Mapping[str, Any], api_base: str
) -> dict[str, str | None]:
    """`pay_url` and `autopay_url` for `PageLinks`: links (GET) that create the Checkout Session and
    redirect to it, so the page needs no form and no script. None when the tenant does not take cards."""
    try:
        settings = PaymentSettings.from_page(page)
    except PermanentError:
        return {"pay_url": None, "autopay_url": None}
    if not settings.enabled:
        return {"pay_url": None, "autopay_url": None}
    base = f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}"
    autopay = settings.offers_autopay(stored.invoice.currency)
    return {"pay_url": f"{base}/pay", "autopay_url": f"{base}/autopay" if autopay else None}


def page_credit_notes(stored: StoredInvoice) -> dict[str, Any]:
    """`credit_notes` for `InvoiceState`: every refund's credit note, from the invoice's Stripe record."""
    notes = stripe_record(stored.state).credit_notes
    if not notes:
        return {}
    return {
        "credit_notes": tuple(
            CreditNoteRef(number=note.number, amount=note.amount, issued_on=stockholm_date(note.issued_at))
            for note in notes
        )
    }


def page_autopay_state(stored: StoredInvoice, today: date) -> dict[str, Any]:
    """`autopay_active` and `debit_date` for `InvoiceState`, from the invoice's Stripe record."""
    record = stripe_record(stored.state)
    # Once a charge needs the customer (or failed for good), the page asks them to pay themselves.
    waiting_for_customer = record.charge is not None and record.charge.status in (
        CollectorAction.ASK_CUSTOMER.value,
        "failed",
    )
    active = record.autopay_active and not waiting_for_customer
    due = stored.invoice.due_date
    debit = due if active and stored.status == "open" and due >= today else None
    return {"autopay_active": active, "debit_date": debit}
