"""The personal blocks of the invoice page, one function each; None (or empty) when nothing is true.

Filled in block by block; every function is pure and tested without Jinja in tests/unit/page/.
"""

from __future__ import annotations

from billing.domain.invoice import Invoice
from billing.domain.page.context import PageContext
from billing.domain.page.view import (
    AnnouncementView,
    AutopayView,
    ChangesView,
    ChartView,
    OfferView,
    PlanFitView,
    PollView,
    SummaryView,
    TenureView,
)


def sorted_history(invoice: Invoice, context: PageContext) -> tuple[Invoice, ...]:
    """Earlier invoices of the customer (not this one, no credit notes), oldest first."""
    earlier = [
        x
        for x in context.history.previous_invoices
        if x.invoice_id != invoice.invoice_id
        and x.kind != "credit_note"
        and x.issue_date <= invoice.issue_date
    ]
    return tuple(sorted(earlier, key=lambda x: (x.issue_date, x.invoice_id)))


def chart(invoice: Invoice, history: tuple[Invoice, ...]) -> ChartView | None:
    return None


def changes(invoice: Invoice, history: tuple[Invoice, ...]) -> ChangesView | None:
    return None


def plan_fit(invoice: Invoice, context: PageContext) -> PlanFitView | None:
    return None


def tenure(invoice: Invoice, context: PageContext, language: str) -> TenureView | None:
    return None


def offers(invoice: Invoice, context: PageContext, history: tuple[Invoice, ...]) -> tuple[OfferView, ...]:
    return ()


def poll(context: PageContext, language: str) -> PollView | None:
    return None


def announcements(invoice: Invoice, context: PageContext, language: str) -> tuple[AnnouncementView, ...]:
    return ()


def autopay(invoice: Invoice, context: PageContext, summary: SummaryView) -> AutopayView | None:
    return None
