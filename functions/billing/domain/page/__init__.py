"""The invoice page's view-model: `build_invoice_page(invoice, context) -> InvoicePageView`."""

from billing.domain.page.build import build_invoice_page
from billing.domain.page.context import (
    Announcement,
    Branding,
    CreditNoteRef,
    History,
    Instalment,
    InvoiceState,
    LocalText,
    LoyaltyBenefit,
    OfferRule,
    PageContext,
    PageError,
    PageLinks,
    PageSettings,
    PeriodUsage,
    Poll,
    PriceChange,
    Question,
    Segment,
)
from billing.domain.page.view import InvoicePageView, PageStatus

__all__ = [
    "Announcement",
    "Branding",
    "CreditNoteRef",
    "History",
    "Instalment",
    "InvoicePageView",
    "InvoiceState",
    "LocalText",
    "LoyaltyBenefit",
    "OfferRule",
    "PageContext",
    "PageError",
    "PageLinks",
    "PageSettings",
    "PageStatus",
    "PeriodUsage",
    "Poll",
    "PriceChange",
    "Question",
    "Segment",
    "build_invoice_page",
]
