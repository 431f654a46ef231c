"""The dunning emails: the reminder (the very words the page's reminder block shows) and short notices
(an answered question, a moved due date, an instalment plan), in the invoice's language.

The reminder is rendered from the invoice page's own view (`JinjaInvoicePresenter.view`) with every
paragraph of the stored message, through the same `reminder_paragraphs` the page uses, so the email
and the page cannot word it differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from billing.adapters.dunning_page import _fmt, text
from billing.adapters.presenter import JinjaInvoicePresenter
from billing.adapters.renderer import LANGUAGES, environment, locale_for, reminder_paragraphs
from billing.domain.dunning import MESSAGES
from billing.domain.page.view import ReminderView
from billing.services.dunning.ports import Email
from billing.services.ports import CustomerAccount, StoredInvoice, TenantAccount

_WHITESPACE = re.compile(r"[\x00-\x20\x7f]+")


class JinjaDunningMail:
    def __init__(self, presenter: JinjaInvoicePresenter) -> None:
        self.presenter = presenter

    def reminder(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        history: list[StoredInvoice],
        today: date,
        reminder: Mapping[str, Any],
    ) -> Email:
        view = self.presenter.view(stored, tenant, account, history, today)
        lang = view.language if view.language in LANGUAGES else "en"
        message = ReminderView(
            sent_on=date.fromisoformat(str(reminder["sent_on"])),
            body_keys=tuple(reminder["body_keys"]),
            params=dict(reminder["params"]),
        )
        paragraphs = reminder_paragraphs(message, view)
        subject_params = {k: str(v) for k, v in reminder["params"].items()}
        subject_params["invoice_id"] = view.number or stored.invoice_id
        subject = MESSAGES[str(reminder["subject_key"])][lang].format(**subject_params)
        env = environment(lang)
        context = {
            "view": view,
            "locale": locale_for(view.language, view.country),
            "paragraphs": paragraphs,
            "link_text": "Se fakturan, ställ en fråga eller betala här:"
            if lang == "sv"
            else "See the invoice, ask a question or pay here:",
        }
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
        lang = invoice.language if invoice.language in LANGUAGES else "en"
        money, day = _fmt(lang, invoice.buyer.country, invoice.currency)
        common = {
            "name": account.customer.name,
            "number": invoice.number or invoice.invoice_id,
            "tenant": str(tenant.page.get("name") or tenant.settings.legal_name),
            "url": f"{self.presenter.pages_base_url}/i/{stored.page_token}",
        }
        if kind == "answer":
            body = text("answer_body", lang, **common, question=params["question"], answer=params["answer"])
        elif kind == "moved":
            body = text(
                "moved_body",
                lang,
                **common,
                date=day(str(params["due_date"])),
                amount=money(int(params["amount"])),
            )
        elif kind == "split":
            lines = "\n".join(
                text(
                    "plan_line",
                    lang,
                    k=i["number"],
                    amount=money(int(i["amount"])),
                    date=day(i["due_date"]),
                    ocr=i["ocr"],
                )
                for i in params["instalments"]
            )
            bankgiro = invoice.bankgiro or tenant.settings.bankgiro or ""
            body = text(
                "split_body", lang, **common, n=len(params["instalments"]), plan=lines, bankgiro=bankgiro
            )
        else:
            raise ValueError(f"unknown notice {kind!r}")
        subject = text(f"{kind}_subject", lang, number=common["number"])
        html = '<pre style="font-family:inherit;white-space:pre-wrap">' + _escape(body) + "</pre>"
        return Email(subject=subject, text=body, html=html)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
