"""The spend alert's emails, in the customer's language (words from the gettext catalogs) with money as
their locale writes it: the alert (the threshold passed, and the invoice so far line by line) and the
confirmation of a choice. billing.services.spend_alerts."""

from __future__ import annotations

from billing.adapters.mail_words import Words, reader_language, short_mail
from billing.adapters.renderer import format_money, locale_for
from billing.domain.invoice import Invoice
from billing.domain.page.prices import PriceBasis, price_basis
from billing.services.spend_alerts.ports import AlertReader


def _basis(t: Words, incl_vat: bool) -> str:
    return t("including VAT") if incl_vat else t("excluding VAT")


class SpendAlertEmails:
    def crossed(
        self, reader: AlertReader, *, threshold: int, spent: int, so_far: Invoice, page_url: str | None
    ) -> tuple[str, str, str]:
        t = Words(reader_language(reader.language))
        loc = locale_for(t.language, reader.country)
        basis = price_basis(so_far, None) if reader.incl_vat else PriceBasis(incl_vat=False)
        shown = [(x.description, basis.amount(x.amount, x.vat_rate)) for x in so_far.lines]
        lines = "\n".join(f"- {what}: {format_money(amount, so_far.currency, loc)}" for what, amount in shown)
        passed = format_money(threshold, so_far.currency, loc)
        paragraphs = [
            t(
                "You asked us to tell you when this month's invoice passes %(threshold)s. The invoice so "
                "far is %(spent)s (%(basis)s):",
                threshold=passed,
                spent=format_money(spent, so_far.currency, loc),
                basis=_basis(t, reader.incl_vat),
            ),
            lines or "-",
            t(
                "This is what your next invoice would be if the period ended now; further usage is added. "
                "You get one such email per period."
            ),
        ]
        if page_url:
            paragraphs.append(t("Change or remove the alert on your invoice page:\n%(url)s", url=page_url))
        text = t.letter(reader.name, paragraphs, reader.tenant_name)
        subject = t(
            "Your spending has passed %(threshold)s – %(tenant)s", threshold=passed, tenant=reader.tenant_name
        )
        return short_mail(t.language, subject, text)

    def confirmed(self, reader: AlertReader, *, threshold: int | None, page_url: str) -> tuple[str, str, str]:
        t = Words(reader_language(reader.language))
        loc = locale_for(t.language, reader.country)
        if threshold:
            said = t(
                "We will email you when a month's invoice passes %(threshold)s (%(basis)s), once per "
                "period. You can change or remove the alert on the invoice page:\n%(url)s",
                threshold=format_money(threshold, "SEK", loc),
                basis=_basis(t, reader.incl_vat),
                url=page_url,
            )
        else:
            said = t(
                "You have removed your spending alert: we no longer email you when the invoice passes an "
                "amount. You can set a new one on the invoice page:\n%(url)s",
                url=page_url,
            )
        text = t.letter(reader.name, [said], reader.tenant_name)
        return short_mail(
            t.language, t("Your spending alert is changed – %(tenant)s", tenant=reader.tenant_name), text
        )
