"""The dunning emails: the reminder (the very words the page's reminder block shows) and short notices
(an answered question, a moved due date, an instalment plan), in the invoice's language, every word
from the gettext catalogs.

The reminder is rendered from the invoice page's own view (`JinjaInvoicePresenter.view`) with every
paragraph of the stored message, through the same `reminder_paragraphs` the page uses, so the email
and the page cannot word it differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date

from billing.adapters.mail_words import Words, reader_language
from billing.adapters.presenter import JinjaInvoicePresenter
from billing.adapters.renderer import (
    environment,
    format_money,
    locale_for,
    reminder_key_known,
    reminder_paragraphs,
)
from billing.domain.page.view import ReminderView
from billing.services.dunning.ports import Email
from billing.services.ports import CustomerAccount, PageInputs, StoredInvoice, TenantAccount

_WHITESPACE = re.compile(r"[\x00-\x20\x7f]+")


class JinjaDunningMail:
    def __init__(self, presenter: JinjaInvoicePresenter) -> None:
        self.presenter = presenter

    def reminder(self, inputs: PageInputs, reminder: Mapping[str, Any]) -> Email:
        view = self.presenter.view(inputs)
        lang = reader_language(view.language)
        message = ReminderView(
            sent_on=date.fromisoformat(str(reminder["sent_on"])),
            body_keys=tuple(reminder["body_keys"]),
            params=dict(reminder["params"]),
        )
        paragraphs = reminder_paragraphs(message, view)
        subject_params = {k: str(v) for k, v in reminder["params"].items()}
        subject_params["invoice_id"] = view.number or inputs.stored.invoice_id
        # The subject is named by the dunning rules' key, like the paragraphs (billing.domain.dunning);
        # a key the catalog lacks must not go out as the subject line.
        t, subject_key = Words(lang), str(reminder["subject_key"])
        if not reminder_key_known(t.catalog, subject_key):
            raise KeyError(f"no reminder subject {subject_key!r} in the {lang} catalog")
        subject = t(subject_key, **subject_params)
        env = environment(lang)
        context = {"view": view, "locale": locale_for(view.language, view.country), "paragraphs": paragraphs}
        return Email(
            subject=_WHITESPACE.sub(" ", subject).strip(),
            text=env.get_template("email_reminder.txt.j2").render(context),
            html=env.get_template("email_reminder.html.j2").render(context),
        )

    def notice(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        kind: str,
        params: Mapping[str, Any],
    ) -> Email:
        """kind: "answer" (question, answer), "moved" (due_date), "split" (instalments)."""
        invoice = stored.invoice
        t = Words(reader_language(invoice.language))
        loc = locale_for(t.language, invoice.buyer.country)

        def money(amount: Any) -> str:
            return format_money(int(amount), invoice.currency, loc)

        def day(value: Any) -> str:
            return format_date(date.fromisoformat(str(value)), "long", locale=loc)

        number = invoice.number or invoice.invoice_id
        url = f"{self.presenter.pages_base_url}/i/{stored.page_token}"
        if kind == "answer":
            paragraphs = [
                t("You asked:\n%(question)s", question=params["question"]),
                t("Our answer:\n%(answer)s", answer=params["answer"]),
                t("The invoice: %(url)s", url=url),
            ]
            subject = t("An answer to your question on invoice %(number)s", number=number)
        elif kind == "moved":
            paragraphs = [
                t(
                    "The due date of invoice %(number)s is now %(date)s. The amount is %(amount)s.",
                    number=number,
                    date=day(params["due_date"]),
                    amount=money(params["amount"]),
                ),
                t("The invoice: %(url)s", url=url),
            ]
            subject = t("New due date for invoice %(number)s", number=number)
        elif kind == "split":
            instalments = params["instalments"]
            plan = "\n".join(
                t(
                    "Part %(k)s: %(amount)s, due %(date)s, OCR %(ocr)s",
                    k=i["number"],
                    amount=money(i["amount"]),
                    date=day(i["due_date"]),
                    ocr=i["ocr"],
                )
                for i in instalments
            )
            bankgiro = invoice.bankgiro or tenant.settings.bankgiro or ""
            paragraphs = [
                t("Invoice %(number)s is now split into %(n)s parts:", number=number, n=len(instalments)),
                plan,
                t(
                    "Pay each part to bankgiro %(bankgiro)s with its OCR reference, or on the invoice page: "
                    "%(url)s",
                    bankgiro=bankgiro,
                    url=url,
                ),
            ]
            subject = t("Your instalments for invoice %(number)s", number=number)
        else:
            raise ValueError(f"unknown notice {kind!r}")
        tenant_name = tenant.page_settings.branding.name
        body = t.letter(account.customer.name, paragraphs, tenant_name)
        html = '<pre style="font-family:inherit;white-space:pre-wrap">' + _escape(body) + "</pre>"
        return Email(subject=subject, text=body, html=html)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
