"""Emails about payments: the receipt after a settlement, the two automatic-payment messages, and the
credit note after a refund.

Implements `ReceiptSender` (billing.services.settlement) and `PaymentEmails` (billing.services.payments).
Each email is rendered from the same page view-model as the invoice page (so amounts, dates, names and
the link read exactly as on the page) with the `email_receipt*.j2` templates and the page's catalogs.
Nothing about the card or the payment method is ever put in an email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from billing.adapters.presenter import JinjaInvoicePresenter
from billing.adapters.renderer import LANGUAGES, environment, locale_for
from billing.domain.periods import local_date
from billing.services.ports import (
    Clock,
    CustomerAccount,
    InvoiceLedger,
    Mailer,
    PageInputs,
    StoredInvoice,
    TenantAccount,
)

_WHITESPACE = re.compile(r"[\x00-\x20\x7f]+")


@dataclass(kw_only=True, eq=False)
class EmailPaymentNotices:
    presenter: JinjaInvoicePresenter
    invoices: InvoiceLedger
    mailer: Mailer
    clock: Clock

    def send_receipt(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, amount: int
    ) -> None:
        self._send("receipt", stored, tenant, account, amount=amount)

    def send_action_required(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> None:
        self._send("action_required", stored, tenant, account)

    def send_fallback(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, reason: str
    ) -> None:
        self._send("fallback", stored, tenant, account, reason=reason)

    def send_credit_note(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, number: str, amount: int
    ) -> None:
        self._send("credit_note", stored, tenant, account, amount=amount, number=number)

    def render(
        self, kind: str, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, **extra: Any
    ) -> tuple[str, str, str]:
        """(subject, text, html) of one notice."""
        history = self.invoices.history(stored.tenant_id, account.customer.id, stored.invoice.issue_date)
        # The customer's own calendar day, as the page has it (billing.services.invoice_pages.customer_today).
        today = local_date(self.clock.now(), ZoneInfo(account.customer.timezone))
        view = self.presenter.view(PageInputs(stored, tenant, account, history, today))
        env = environment(view.language if view.language in LANGUAGES else "en")
        context = {"view": view, "locale": locale_for(view.language, view.country), "kind": kind, **extra}
        context.setdefault("amount", 0)
        subject = _WHITESPACE.sub(
            " ", env.get_template("email_receipt_subject.txt.j2").render(context)
        ).strip()
        text = env.get_template("email_receipt.txt.j2").render(context)
        html = env.get_template("email_receipt.html.j2").render(context)
        return subject, text, html

    def _send(
        self, kind: str, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, **extra: Any
    ) -> None:
        subject, text, html = self.render(kind, stored, tenant, account, **extra)
        reply_to = tenant.page_settings.support_email or tenant.settings.email or None
        self.mailer.send(to=account.email, subject=subject, text=text, html=html, reply_to=reply_to)
