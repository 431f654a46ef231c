"""The confirmation email when a customer switches plan from the invoice page, in their language (words
from the gettext catalogs), money and dates formatted for their locale
(billing.services.subscriptions.page_switch)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from babel.dates import format_date

from billing.adapters.mail_words import Words, reader_language, short_mail
from billing.adapters.renderer import format_money, locale_for
from billing.services.ports import StoredInvoice


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
        t = Words(reader_language(invoice.language))
        loc = locale_for(t.language, invoice.buyer.country or "SE")
        effective = format_date(date.fromisoformat(str(result["effective_date"])), "long", locale=loc)
        if result.get("immediate"):
            what = t(
                "You have switched to %(plan)s. The switch applies from today, %(effective)s. The rest of "
                "the period on the new plan costs %(amount)s, on invoice %(number)s.",
                plan=plan_name,
                effective=effective,
                amount=format_money(int(str(result.get("due_now") or 0)), invoice.currency, loc),
                number=result.get("invoice_number") or "",
            )
        else:
            what = t(
                "You have switched to %(plan)s. The switch applies from %(effective)s, when your current "
                "period ends; it costs nothing now.",
                plan=plan_name,
                effective=effective,
            )
        text = t.letter(invoice.buyer.name, [what, t("Your invoice:\n%(url)s", url=page_url)], tenant_name)
        subject = t("You have switched to %(plan)s – %(tenant)s", plan=plan_name, tenant=tenant_name)
        return short_mail(t.language, subject, text)
