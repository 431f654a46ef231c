"""The confirmation email when a customer stops automatic payment from the invoice page, in their
language, money and dates formatted for their locale (billing.services.payment_control)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from babel.dates import format_date

from billing.adapters.renderer import LANGUAGES, format_money, locale_for
from billing.services.ports import StoredInvoice

TEXTS: Mapping[str, Mapping[str, str]] = {
    "subject": {
        "sv": "Automatisk betalning avslutad – {tenant}",
        "en": "Automatic payment stopped – {tenant}",
    },
    "card": {
        "sv": "Hej {name}!\n\nDu har avslutat automatisk kortbetalning. Vi drar inga fler fakturor från ditt "
        "kort. Faktura {number} på {amount} betalar du själv senast {due}:\n{url}\n\n"
        "Vill du betala automatiskt igen kan du välja det på fakturasidan.\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have stopped automatic card payment. We will not charge your card for "
        "any more invoices. Please pay invoice {number} of {amount} yourself by {due}:\n{url}\n\n"
        "To pay automatically again, choose it on the invoice page.\n\nBest regards,\n{tenant}",
    },
    "autogiro": {
        "sv": "Hej {name}!\n\nDu har avslutat Autogiro. Medgivandet tas bort i vår nästa fil till "
        "Bankgirot, och dragningar som inte redan skickats till din bank stoppas. Faktura {number} på "
        "{amount} betalar du själv senast {due}, om den inte redan dragits:\n{url}\n\n"
        "Vänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have stopped Autogiro. The mandate is removed in our next file to "
        "Bankgirot, and debits not already sent to your bank are withdrawn. Please pay invoice {number} "
        "of {amount} yourself by {due}, unless it has been debited already:\n{url}\n\n"
        "Best regards,\n{tenant}",
    },
}


METHODS: Mapping[str, Mapping[str, str]] = {
    "card": {"sv": "automatisk kortbetalning", "en": "automatic card payment"},
    "autogiro": {"sv": "Autogiro", "en": "Autogiro"},
    "manual": {"sv": "betalning på egen hand", "en": "paying yourself"},
}
CHANGE_TEXTS: Mapping[str, Mapping[str, str]] = {
    "subject": {
        "sv": "Nytt betalsätt: {new} – {tenant}",
        "en": "New way to pay: {new} – {tenant}",
    },
    "body": {
        "sv": "Hej {name}!\n\nDu har bytt betalsätt från {old} till {new}. {what}\n\n"
        "Faktura {number} på {amount}, förfaller {due}:\n{url}\n\n"
        "Du kan ändra eller avsluta betalsättet på fakturasidan.\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have changed how you pay from {old} to {new}. {what}\n\n"
        "Invoice {number} of {amount}, due {due}:\n{url}\n\n"
        "You can change or stop it on the invoice page.\n\nBest regards,\n{tenant}",
    },
    "card": {
        "sv": "Kommande fakturor dras från ditt kort på förfallodagen.",
        "en": "Coming invoices are charged to your card on their due date.",
    },
    "autogiro": {
        "sv": "Medgivandet skickas till Bankgirot; när din bank har godkänt det dras fakturorna från ditt "
        "konto på förfallodagen. Tills dess behöver du inte göra något.",
        "en": "The mandate goes to Bankgirot; once your bank has approved it, invoices are debited from "
        "your account on their due date. Until then there is nothing you need to do.",
    },
    "card_ended": {"sv": " Vi drar inte längre från ditt kort.", "en": " We no longer charge your card."},
    "autogiro_ended": {
        "sv": " Autogiromedgivandet tas bort i vår nästa fil till Bankgirot.",
        "en": " The Autogiro mandate is removed in our next file to Bankgirot.",
    },
}


def email_html(language: str, text: str) -> str:
    """A short confirmation's text as its HTML part: paragraphs, escaped, long links wrapped."""
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        '<body style="font-family:system-ui,sans-serif;overflow-wrap:anywhere">'
        f"{paragraphs}</body></html>"
    )


class MethodChangeConfirmationMail:
    """The confirmation when the customer changes payment method (billing.services.payment_method_change)."""

    def changed(
        self, stored: StoredInvoice, tenant_name: str, previous: str, new: str, page_url: str
    ) -> tuple[str, str, str]:
        invoice = stored.invoice
        language = invoice.language if invoice.language in LANGUAGES else "en"
        loc = locale_for(language, invoice.buyer.country or "SE")
        what = CHANGE_TEXTS[new][language]
        if previous in ("card", "autogiro"):
            what += CHANGE_TEXTS[f"{previous}_ended"][language]
        params = {
            "name": invoice.buyer.name,
            "tenant": tenant_name,
            "old": METHODS.get(previous, METHODS["manual"])[language],
            "new": METHODS[new][language],
            "what": what,
            "number": invoice.number or invoice.invoice_id,
            "amount": format_money(stored.amount_due, invoice.currency, loc),
            "due": format_date(invoice.due_date, "long", locale=loc),
            "url": page_url,
        }
        text = CHANGE_TEXTS["body"][language].format(**params)
        return CHANGE_TEXTS["subject"][language].format(**params), text, email_html(language, text)


class StopConfirmationMail:
    def stopped(
        self, stored: StoredInvoice, tenant_name: str, method: str, page_url: str
    ) -> tuple[str, str, str]:
        invoice = stored.invoice
        language = invoice.language if invoice.language in LANGUAGES else "en"
        loc = locale_for(language, invoice.buyer.country or "SE")
        params = {
            "name": invoice.buyer.name,
            "tenant": tenant_name,
            "number": invoice.number or invoice.invoice_id,
            "amount": format_money(stored.amount_due, invoice.currency, loc),
            "due": format_date(invoice.due_date, "long", locale=loc),
            "url": page_url,
        }
        text = TEXTS[method][language].format(**params)
        return TEXTS["subject"][language].format(**params), text, email_html(language, text)
