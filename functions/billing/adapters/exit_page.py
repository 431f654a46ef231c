"""The honest exit's page and its confirmation emails (cancelled: billing.services.subscriptions.
customer_exit; paused: customer_pause), in the customer's language with money and dates as their
locale writes them; and the plan-fit advice it shows, taken from the invoice page's own view-model so
the two never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.dates import format_date

from billing.adapters.presenter import JinjaInvoicePresenter
from billing.adapters.renderer import environment, format_money, locale_for
from billing.adapters.spend_alert_mail import email_html
from billing.domain.page.exit import ExitView
from billing.domain.page.view import PlanFitView
from billing.services.invoice_pages import InvoicePages, customer_today
from billing.services.ports import CustomerAccount, StoredInvoice, TenantAccount
from billing.services.subscriptions.customer_pause import PauseMailFacts

TEXTS: Mapping[str, Mapping[str, str]] = {
    "title": {"sv": "Avsluta abonnemanget", "en": "Cancel your subscription"},
    "ends": {
        "sv": "Avslutar du nu har du tjänsten till och med {day}. Sedan dras inget mer.",
        "en": "If you cancel now, you keep the service until {day} inclusive. Nothing is charged after that.",
    },
    "last_invoice": {
        "sv": "Din sista faktura, avgifter och avdrag som de ser ut nu:",
        "en": "Your last invoice, fees and credits as they stand now:",
    },
    "usage_so_far": {
        "sv": "Plus din förbrukning den här perioden, hittills {amount}.",
        "en": "Plus your usage this period, so far {amount}.",
    },
    "usage_on_top": {
        "sv": "Förbrukning fram till slutdagen tillkommer, som vanligt.",
        "en": "Usage until the last day comes on top, as usual.",
    },
    "cheaper_title": {"sv": "Om det är priset", "en": "If it is the price"},
    "cheaper_body": {
        "sv": "Med din egen förbrukning hade {plan} kostat {saving} mindre per år ({basis}). "
        "Du kan byta på fakturasidan i stället.",
        "en": "With your own usage, {plan} would have cost {saving} less per year ({basis}). "
        "You can switch on the invoice page instead.",
    },
    "incl": {"sv": "inkl. moms", "en": "incl. VAT"},
    "excl": {"sv": "exkl. moms", "en": "excl. VAT"},
    "confirm": {"sv": "Avsluta, sista dag {day}", "en": "Cancel, last day {day}"},
    "back": {"sv": "Tillbaka till fakturan", "en": "Back to the invoice"},
    "done_title": {"sv": "Abonnemanget är avslutat", "en": "Your subscription is cancelled"},
    "done_body": {
        "sv": "Du har tjänsten till och med {day}. Sista fakturan kommer som vanligt.",
        "en": "You keep the service until {day} inclusive. The last invoice comes as usual.",
    },
    "done_email": {"sv": "Vi har mejlat en bekräftelse.", "en": "We have emailed you a confirmation."},
    "pause_title": {"sv": "Pausa i stället", "en": "Pause instead"},
    "pause_body": {
        "sv": "Behöver du bara en paus? Perioden du har betalat löper ut som vanligt; sedan dras ingen "
        "månadsavgift under pausen, och abonnemanget startar igen av sig självt. Förbrukning under "
        "pausen faktureras som vanligt.",
        "en": "Only need a break? The period you have paid for runs out as usual; then no monthly fee is "
        "charged during the pause, and the subscription starts again by itself. Usage during the pause "
        "is billed as usual.",
    },
    "pause_legend": {"sv": "Hur länge?", "en": "How long?"},
    "pause_option": {
        "sv": "{months} mån: ingen avgift från {first}, igen från {resumes}",
        "en": "{months} mo: no fee from {first}, again from {resumes}",
    },
    "pause_confirm": {"sv": "Pausa", "en": "Pause"},
    "paused_title": {"sv": "Abonnemanget pausas", "en": "Your subscription is paused"},
    "paused_body": {
        "sv": "Ingen avgift från {first}. Abonnemanget startar igen av sig självt {resumes}.",
        "en": "No fee from {first}. The subscription starts again by itself on {resumes}.",
    },
    "pause_mail_subject": {
        "sv": "Ditt abonnemang pausas – {brand}",
        "en": "Your subscription is paused – {brand}",
    },
    "pause_mail_body": {
        "sv": "Hej {name}!\n\nDu har pausat ditt abonnemang. Ingen avgift dras från {first}, och "
        "abonnemanget startar igen av sig självt {resumes}. Förbrukning under pausen faktureras som "
        "vanligt.\n\nDin faktura:\n{url}\n\nVänliga hälsningar\n{brand}",
        "en": "Hello {name},\n\nYou have paused your subscription. No fee is charged from {first}, and "
        "the subscription starts again by itself on {resumes}. Usage during the pause is billed as "
        "usual.\n\nYour invoice:\n{url}\n\nBest regards,\n{brand}",
    },
    "mail_subject": {
        "sv": "Ditt abonnemang är avslutat – {brand}",
        "en": "Your subscription is cancelled – {brand}",
    },
    "mail_body": {
        "sv": "Hej {name}!\n\nDu har avslutat ditt abonnemang. Du har tjänsten till och med {day}; "
        "sedan dras inget mer. Den sista fakturan kommer som vanligt, med förbrukningen fram till "
        "slutdagen.\n\nDin faktura:\n{url}\n\nVänliga hälsningar\n{brand}",
        "en": "Hello {name},\n\nYou have cancelled your subscription. You keep the service until {day} "
        "inclusive; nothing is charged after that. The last invoice comes as usual, with the usage "
        "until the last day.\n\nYour invoice:\n{url}\n\nBest regards,\n{brand}",
    },
}


def _text(key: str, language: str, **params: Any) -> str:
    return TEXTS[key][language].format(**params)


def render_exit_page(view: ExitView, country: str) -> str:
    loc = locale_for(view.language, country)
    return (
        environment(view.language)
        .get_template("exit.html.j2")
        .render(
            v=view,
            t=lambda key, **p: _text(key, view.language, **p),
            day=lambda d: format_date(d, "long", locale=loc),
            money=lambda amount: format_money(amount, view.currency, loc),
        )
    )


class ExitEmails:
    def confirmed(self, view: ExitView, country: str) -> tuple[str, str, str]:
        loc = locale_for(view.language, country)
        params = {
            "name": view.customer_name,
            "brand": view.brand,
            "day": format_date(view.last_day, "long", locale=loc),
            "url": view.page_url,
        }
        text = _text("mail_body", view.language, **params)
        html = email_html(view.language, text)
        return _text("mail_subject", view.language, **params), text, html


class PauseEmails:
    def confirmed(self, facts: PauseMailFacts) -> tuple[str, str, str]:
        language = facts.language if facts.language in ("sv", "en") else "en"
        loc = locale_for(language, facts.country)
        params = {
            "name": facts.customer_name,
            "brand": facts.brand,
            "first": format_date(facts.pause.start, "long", locale=loc),
            "resumes": format_date(facts.pause.end, "long", locale=loc),
            "url": facts.page_url,
        }
        text = _text("pause_mail_body", language, **params)
        return _text("pause_mail_subject", language, **params), text, email_html(language, text)


class PresenterPlanAdvice:
    def __init__(self, pages: InvoicePages, presenter: JinjaInvoicePresenter) -> None:
        self.pages = pages
        self.presenter = presenter

    def plan_fit(
        self, stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount
    ) -> PlanFitView | None:
        history = self.pages.invoices.history(
            stored.tenant_id, account.customer.id, stored.invoice.issue_date
        )
        usage = self.pages.recent_usage(stored, tenant, account)
        today = customer_today(self.pages.clock, account)
        return self.presenter.view(stored, tenant, account, history, today, usage).plan_fit
