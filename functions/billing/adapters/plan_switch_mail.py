"""The confirmation email when a customer switches plan from the invoice page, in their language,
money and dates formatted for their locale (billing.services.subscriptions.page_switch)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from babel.dates import format_date

from billing.adapters.payment_control_mail import email_html
from billing.adapters.renderer import LANGUAGES, format_money, locale_for
from billing.services.ports import StoredInvoice

TEXTS: Mapping[str, Mapping[str, str]] = {
    "subject": {"sv": "Du har bytt till {plan} – {tenant}", "en": "You have switched to {plan} – {tenant}"},
    "now": {
        "sv": "Hej {name}!\n\nDu har bytt till {plan}. Bytet gäller från i dag, {effective}. Resten av "
        "perioden med det nya abonnemanget kostar {amount}, som du får på faktura {number}.\n\n"
        "Din faktura:\n{url}\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have switched to {plan}. The switch applies from today, {effective}. "
        "The rest of the period on the new plan costs {amount}, on invoice {number}.\n\n"
        "Your invoice:\n{url}\n\nBest regards,\n{tenant}",
    },
    "later": {
        "sv": "Hej {name}!\n\nDu har bytt till {plan}. Bytet gäller från {effective}, när din nuvarande "
        "period är slut; det kostar inget nu.\n\nDin faktura:\n{url}\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have switched to {plan}. The switch applies from {effective}, when "
        "your current period ends; it costs nothing now.\n\nYour invoice:\n{url}\n\nBest regards,\n{tenant}",
    },
}


class PlanSwitchMail:
    def switched(
        self,
        stored: StoredInvoice,
        tenant_name: str,
        plan_name: str,
        result: Mapping[str, object],
        page_url: str,
    ) -> tuple[str, str, str]:
        invoice = stored.invoice
        language = invoice.language if invoice.language in LANGUAGES else "en"
        loc = locale_for(language, invoice.buyer.country or "SE")
        params = {
            "name": invoice.buyer.name,
            "tenant": tenant_name,
            "plan": plan_name,
            "effective": format_date(date.fromisoformat(str(result["effective_date"])), "long", locale=loc),
            "amount": format_money(int(str(result.get("due_now") or 0)), invoice.currency, loc),
            "number": result.get("invoice_number") or "",
            "url": page_url,
        }
        text = TEXTS["now" if result.get("immediate") else "later"][language].format(**params)
        return TEXTS["subject"][language].format(**params), text, email_html(language, text)
