"""The honest exit's page and its confirmation emails (cancelled: billing.services.subscriptions.
customer_exit; paused: customer_pause), in the customer's language (words from the gettext catalogs)
with money and dates as their locale writes them; and the plan-fit advice it shows, taken from the
invoice page's own view-model so the two never disagree."""

from __future__ import annotations

from babel.dates import format_date

from billing.adapters.mail_words import Words, reader_language, short_mail
from billing.adapters.presenter import JinjaInvoicePresenter
from billing.adapters.renderer import environment, format_money, locale_for
from billing.domain.page.exit import ExitView
from billing.domain.page.view import PlanFitView
from billing.services.ports import PageInputs
from billing.services.subscriptions.ports import PauseMailFacts


def render_exit_page(view: ExitView, country: str) -> str:
    loc = locale_for(view.language, country)
    return (
        environment(view.language)
        .get_template("exit.html.j2")
        .render(
            v=view,
            day=lambda d: format_date(d, "long", locale=loc),
            money=lambda amount: format_money(amount, view.currency, loc),
        )
    )


class ExitEmails:
    def confirmed(self, view: ExitView, country: str) -> tuple[str, str, str]:
        t = Words(reader_language(view.language))
        day = format_date(view.last_day, "long", locale=locale_for(t.language, country))
        said = t(
            "You have cancelled your subscription. You keep the service until %(day)s inclusive; nothing "
            "is charged after that. The last invoice comes as usual, with the usage until the last day.",
            day=day,
        )
        text = t.letter(
            view.customer_name, [said, t("Your invoice:\n%(url)s", url=view.page_url)], view.brand
        )
        return short_mail(t.language, t("Your subscription is cancelled – %(brand)s", brand=view.brand), text)


class PauseEmails:
    def confirmed(self, facts: PauseMailFacts) -> tuple[str, str, str]:
        t = Words(reader_language(facts.language))
        loc = locale_for(t.language, facts.country)
        said = t(
            "You have paused your subscription. No fee is charged from %(first)s, and the subscription "
            "starts again by itself on %(resumes)s. Usage during the pause is billed as usual.",
            first=format_date(facts.pause.start, "long", locale=loc),
            resumes=format_date(facts.pause.end, "long", locale=loc),
        )
        text = t.letter(
            facts.customer_name, [said, t("Your invoice:\n%(url)s", url=facts.page_url)], facts.brand
        )
        return short_mail(t.language, t("Your subscription is paused – %(brand)s", brand=facts.brand), text)


class PresenterPlanAdvice:
    def __init__(self, presenter: JinjaInvoicePresenter) -> None:
        self.presenter = presenter

    def plan_fit(self, inputs: PageInputs) -> PlanFitView | None:
        return self.presenter.view(inputs).plan_fit
