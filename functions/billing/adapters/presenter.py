"""The invoice page and email for a stored invoice: the domain view-model rendered with Jinja.

Maps what the stores hold (tenant page settings, the customer's earlier invoices and usage, the
invoice's state, and the `PageFacts` the use cases' rules read from it: billing.services.page_facts,
passed in as `facts`) into the pure `PageContext`, builds the view with `build_invoice_page`, adds the
page's typed blocks for payment trouble, relief and the customer's controls (`CustomerBlocks`, built
by the domain from the state the page adapters read), and renders it all with `JinjaRenderer`: the
page template includes every block in its place, nothing is spliced into the HTML afterwards.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from billing.adapters.engagement_page import exit_link, spend_alert, usage_data
from billing.adapters.payment_page import payment_notice
from billing.adapters.renderer import JinjaRenderer
from billing.domain.page.build import build_invoice_page
from billing.domain.page.context import (
    History,
    InvoiceState,
    PageContext,
    PageLinks,
    Question,
)
from billing.domain.page.customer_blocks import CustomerBlocks
from billing.domain.page.view import InvoicePageView
from billing.domain.periods import period_containing
from billing.services.ports import (
    CustomerAccount,
    PageFacts,
    PageFactsSource,
    PageInputs,
    RenderedInvoice,
    StoredInvoice,
    TenantAccount,
)


def invoice_ordinal(account: CustomerAccount, tenant: TenantAccount, period_start: date) -> int:
    """Which invoice of the customer's this is (1 = the first), counted in periods since they joined,
    so a customer who came from an earlier billing system is still greeted as the old friend they are."""
    subscription = account.subscription
    plan = tenant.catalog.plan(subscription.phases[0].plan_code)
    first = period_containing(
        subscription.start_date, plan.interval, subscription.anchor, subscription.anchor_day
    )
    months = (period_start.year - first.start.year) * 12 + period_start.month - first.start.month
    return max(1, months // plan.interval.months + 1)


def invoice_state(stored: StoredInvoice, facts: PageFacts) -> InvoiceState:
    questions = tuple(
        Question(
            question_id=str(q["question_id"]),
            asked_at=datetime.fromisoformat(str(q["asked_at"])),
            text=str(q["text"]),
            line_id=q.get("line_id"),
            answered_at=datetime.fromisoformat(str(q["answered_at"])) if q.get("answered_at") else None,
            answer=q.get("answer"),
        )
        for q in stored.questions
    )
    feedback = stored.feedback or {}
    return InvoiceState(
        amount_paid=stored.amount_paid,
        paid_on=stored.paid_at.date() if stored.paid_at else None,
        questions=questions,
        feedback_score=feedback.get("score"),
        **facts.state,
    )


class JinjaInvoicePresenter:
    def __init__(
        self,
        *,
        pages_base_url: str,
        api_base_url: str,
        facts: PageFactsSource,
        renderer: JinjaRenderer | None = None,
    ) -> None:
        self.pages_base_url = pages_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")
        self.facts = facts
        self.renderer = renderer or JinjaRenderer()

    def present(self, inputs: PageInputs) -> RenderedInvoice:
        stored, tenant, account, today = inputs.stored, inputs.tenant, inputs.account, inputs.today
        facts = self.facts(stored, tenant, account, today, self.api_base_url)
        view = self.view(inputs, facts)
        email = self.renderer.render_email(view)
        page_html = self.renderer.render_page(
            replace(view, blocks=self.blocks(stored, tenant, account, today, facts))
        )
        return RenderedInvoice(
            page_html=page_html,
            email_subject=email.subject,
            email_text=email.text,
            email_html=email.html,
            pdf=self.renderer.render_pdf(view),
        )

    def blocks(
        self,
        stored: StoredInvoice,
        tenant: TenantAccount,
        account: CustomerAccount,
        today: date,
        facts: PageFacts,
    ) -> CustomerBlocks:
        """The page's blocks from the invoice's record beyond the invoice: Stripe's note when automatic
        payment needs the customer or stopped (docs/payments.md), dunning's relief or instalment plan,
        and the customer's own controls (issue 18). Not in the email: they are the page's to offer."""
        if stored.invoice.kind == "credit_note" or not stored.page_token:
            return CustomerBlocks()
        api = self.api_base_url
        return CustomerBlocks(
            payment_notice=payment_notice(stored),
            relief=facts.relief,
            spend_alert=spend_alert(stored, tenant, account, today, api),
            usage_data=usage_data(stored, account, today, api),
            exit=exit_link(stored, account, today, api),
        )

    def view(self, inputs: PageInputs, facts: PageFacts | None = None) -> InvoicePageView:
        """`facts`: the page's facts when the caller has read them already (`present` reads them once)."""
        stored, tenant, account, today = inputs.stored, inputs.tenant, inputs.account, inputs.today
        history, usage = inputs.history, inputs.usage
        if facts is None:
            facts = self.facts(stored, tenant, account, today, self.api_base_url)
        invoice = stored.invoice
        period_start = invoice.period.start if invoice.period else invoice.issue_date
        context = PageContext(
            settings=tenant.page_settings,
            links=PageLinks(
                token=stored.page_token,
                page_url=f"{self.pages_base_url}/i/{stored.page_token}",
                api_base=self.api_base_url,
                pdf_url=f"{self.pages_base_url}/i/{stored.page_token}.pdf",
                **facts.links,
            ),
            today=today,
            state=invoice_state(stored, facts),
            history=History(
                previous_invoices=tuple(h.invoice for h in history),
                customer_since=account.subscription.start_date,
                invoice_count=invoice_ordinal(account, tenant, period_start),
                usage=tuple(usage or ()),
                current_plan_code=account.subscription.plan_code_on(period_start),
            ),
            catalog=tenant.catalog,
            customer=account.customer,
            bankgiro=tenant.settings.bankgiro,
        )
        # The plan switch the advice may offer, on the terms the plan-change use case gives today
        # (billing.services.page_facts); posted to the page's own route.
        if facts.plan_switches:
            context = replace(
                context,
                plan_switches=facts.plan_switches,
                links=replace(context.links, plan_change_url=context.links.api("plan")),
            )
        # The customer's language as they last chose it (on any page: billing.services.page_language),
        # so every page of theirs reads in it, the older ones too when re-rendered.
        language = account.customer.language
        if language in ("sv", "en") and language != invoice.language:
            invoice = replace(invoice, language=language)
        return build_invoice_page(invoice, context)
