"""The invoice page's presenter, built once per container for every use case that renders a page or
words an email from the page's view: the invoice pages, the payment emails, dunning's mail, the exit."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from billing.settings import settings

if TYPE_CHECKING:
    from billing.adapters.presenter import JinjaInvoicePresenter


@cache
def invoice_presenter() -> JinjaInvoicePresenter:
    from billing.adapters.presenter import JinjaInvoicePresenter
    from billing.services.page_facts import page_facts

    s = settings()
    return JinjaInvoicePresenter(
        pages_base_url=s.pages_base_url, api_base_url=s.api_base_url, facts=page_facts
    )
