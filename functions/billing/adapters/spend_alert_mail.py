"""The spend alert's emails, in the customer's language with money as their locale writes it: the alert
(the threshold passed, and the invoice so far line by line) and the confirmation of a choice.
billing.services.spend_alerts."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from billing.adapters.renderer import LANGUAGES, format_money, locale_for
from billing.domain.invoice import Invoice
from billing.domain.page.prices import PriceBasis, price_basis

TEXTS: Mapping[str, Mapping[str, str]] = {
    "crossed_subject": {
        "sv": "Din förbrukning har passerat {threshold} – {tenant}",
        "en": "Your spending has passed {threshold} – {tenant}",
    },
    "crossed": {
        "sv": "Hej {name}!\n\nDu bad oss säga till när den här månadens faktura passerar {threshold}. "
        "Fakturan hittills är {spent} ({basis}):\n\n{lines}\n\nDet här är vad nästa faktura blir om "
        "perioden slutade nu; förbrukning som tillkommer läggs till. Du får bara ett sådant mejl per "
        "period.{link}\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou asked us to tell you when this month's invoice passes {threshold}. "
        "The invoice so far is {spent} ({basis}):\n\n{lines}\n\nThis is what your next invoice would be "
        "if the period ended now; further usage is added. You get one such email per period.{link}"
        "\n\nBest regards,\n{tenant}",
    },
    "link": {
        "sv": "\n\nÄndra eller ta bort aviseringen på din fakturasida:\n{url}",
        "en": "\n\nChange or remove the alert on your invoice page:\n{url}",
    },
    "incl": {"sv": "inklusive moms", "en": "including VAT"},
    "excl": {"sv": "exklusive moms", "en": "excluding VAT"},
    "set_subject": {
        "sv": "Aviseringen om din förbrukning är ändrad – {tenant}",
        "en": "Your spending alert is changed – {tenant}",
    },
    "set": {
        "sv": "Hej {name}!\n\nVi säger till med ett mejl när en månads faktura passerar {threshold} "
        "({basis}), en gång per period. Du kan ändra eller ta bort aviseringen på fakturasidan:\n{url}"
        "\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nWe will email you when a month's invoice passes {threshold} ({basis}), "
        "once per period. You can change or remove the alert on the invoice page:\n{url}"
        "\n\nBest regards,\n{tenant}",
    },
    "removed": {
        "sv": "Hej {name}!\n\nDu har tagit bort aviseringen om din förbrukning: vi mejlar inte längre "
        "när fakturan passerar ett belopp. Du kan sätta en ny på fakturasidan:\n{url}"
        "\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou have removed your spending alert: we no longer email you when the "
        "invoice passes an amount. You can set a new one on the invoice page:\n{url}"
        "\n\nBest regards,\n{tenant}",
    },
}


def email_html(language: str, text: str) -> str:
    """Plain paragraphs of `text` as the email's HTML part."""
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        '<body style="font-family:system-ui,sans-serif;overflow-wrap:anywhere">'
        f"{paragraphs}</body></html>"
    )


class SpendAlertEmails:
    def crossed(
        self,
        *,
        language: str,
        country: str,
        name: str,
        tenant_name: str,
        threshold: int,
        spent: int,
        incl_vat: bool,
        so_far: Invoice,
        page_url: str | None,
    ) -> tuple[str, str, str]:
        language = language if language in LANGUAGES else "en"
        loc = locale_for(language, country)
        basis = price_basis(so_far, None) if incl_vat else PriceBasis(incl_vat=False)
        shown = [(x.description, basis.amount(x.amount, x.vat_rate)) for x in so_far.lines]
        lines = "\n".join(f"- {what}: {format_money(amount, so_far.currency, loc)}" for what, amount in shown)
        params = {
            "name": name,
            "tenant": tenant_name,
            "threshold": format_money(threshold, so_far.currency, loc),
            "spent": format_money(spent, so_far.currency, loc),
            "basis": TEXTS["incl" if incl_vat else "excl"][language],
            "lines": lines or "-",
            "link": TEXTS["link"][language].format(url=page_url) if page_url else "",
        }
        text = TEXTS["crossed"][language].format(**params)
        return TEXTS["crossed_subject"][language].format(**params), text, email_html(language, text)

    def confirmed(
        self,
        *,
        language: str,
        country: str,
        name: str,
        tenant_name: str,
        threshold: int | None,
        incl_vat: bool,
        page_url: str,
    ) -> tuple[str, str, str]:
        language = language if language in LANGUAGES else "en"
        loc = locale_for(language, country)
        params = {
            "name": name,
            "tenant": tenant_name,
            "threshold": format_money(threshold or 0, "SEK", loc),
            "basis": TEXTS["incl" if incl_vat else "excl"][language],
            "url": page_url,
        }
        text = TEXTS["set" if threshold else "removed"][language].format(**params)
        return TEXTS["set_subject"][language].format(**params), text, email_html(language, text)
