"""What the invoice page shows of the invoice's record beyond the invoice, read with the use cases' rules.

`page_facts` implements `PageFactsSource` (billing.services.ports), the presenter's one way into these
rules: the card's pay and autopay links and state (billing.services.payments), Autogiro's link, state
and notice (billing.services.autogiro), the payment control built from both (billing.services.
payment_control), dunning's last reminder, relief block, moved due date and instalments (billing.
services.dunning.page), the refunds' and the merchant's credit notes, and the plan switches the advice
may offer (billing.services.subscriptions.page_switch).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billing.services.autogiro.page_state import (
    autogiro_page_links,
    autogiro_page_notice,
    autogiro_page_state,
)
from billing.services.credit_notes.get import page_credit_notes as ledger_credit_notes
from billing.services.dunning.page import last_reminder, page_relief
from billing.services.dunning.state import page_relief_state
from billing.services.payment_control import page_payment_control
from billing.services.payments.page_state import page_autopay_state, page_credit_notes, page_payment_links
from billing.services.ports import CustomerAccount, PageFacts, StoredInvoice, TenantAccount
from billing.services.subscriptions.page_switch import switch_quotes


def page_facts(
    stored: StoredInvoice, tenant: TenantAccount, account: CustomerAccount, today: date, api_base: str
) -> PageFacts:
    card_links = page_payment_links(stored, tenant.page, api_base)
    autogiro_links = autogiro_page_links(stored, tenant, api_base)
    # The method in force, the choice of methods and stopping (the Autogiro notice goes in the
    # summary with the method, not among the news).
    control_links, control_state = page_payment_control(
        stored,
        card_links.get("autopay_url"),
        autogiro_links.get("autopay_url"),
        autogiro_page_notice(stored),
        api_base,
    )
    reminder, reminder_sent_on = last_reminder(stored)
    state: dict[str, Any] = {
        "reminder": reminder,
        "reminder_sent_on": reminder_sent_on,
        # Autogiro's debit date and mandate win over the card mandate's: a SEK invoice has one or the other.
        **page_autopay_state(stored, today),
        **autogiro_page_state(stored, today),
        **page_relief_state(stored),
        # Refunds' notes (Stripe), then the merchant's credit notes, each with its own page
        "credit_notes": page_credit_notes(stored).get("credit_notes", ()) + ledger_credit_notes(stored),
        **control_state,
    }
    return PageFacts(
        links={**card_links, **autogiro_links, **control_links},
        state=state,
        # The plan switch the advice may offer, on the terms the plan-change use case gives today.
        plan_switches=switch_quotes(tenant, account, today),
        # Only a page of its own shows blocks (billing.adapters.presenter.JinjaInvoicePresenter.blocks).
        relief=(
            page_relief(stored, tenant, today, api_base)
            if stored.invoice.kind != "credit_note" and stored.page_token
            else None
        ),
    )
