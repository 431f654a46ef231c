"""Dunning on the invoice page and in its emails: the last reminder, relief, the instalment plan.

Gathers what the page shows of dunning from the invoice's stored state: `last_reminder` fills the
page's `InvoiceState.reminder` (so the page words the reminder exactly as the email did), and `relief`
builds the page's `ReliefBlock` (billing.domain.page.customer_blocks): the relief the customer can
still choose, a moved due date, or the instalment plan.
`render_relief_page` is the small form page behind GET /v1/pages/{token}/relief.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date

from billing.adapters.renderer import LANGUAGES, environment, format_money, locale_for
from billing.domain.dunning import (
    CustomerHistory,
    ReferenceRates,
    ReminderMessage,
    ReminderPolicy,
    ReminderPolicyError,
    parse_reference_rates,
)
from billing.domain.dunning.relief import MAX_DAYS_TO_FIRST_INSTALMENT, ReliefChoice
from billing.domain.dunning.relief import relief_choice as choose_relief
from billing.domain.page.customer_blocks import ReliefBlock, ReliefOffer, relief_block
from billing.services.dunning.state import dunning_of, dunning_state, instalments_of, policy_of
from billing.services.ports import StoredInvoice, TenantAccount


def last_reminder(stored: StoredInvoice) -> tuple[ReminderMessage | None, date | None]:
    """The last reminder that went out, as the email worded it (for the page's reminder block)."""
    sent = [r for r in dunning_of(stored).get("reminders") or [] if r.get("status") == "sent"]
    if not sent:
        return None, None
    last = sent[-1]
    message = ReminderMessage(
        subject_key=str(last["subject_key"]),
        body_keys=tuple(str(k) for k in last["body_keys"]),
        params={
            k: (int(v) if isinstance(v, int | float) and not isinstance(v, bool) else str(v))
            for k, v in last["params"].items()
        },
    )
    return message, date.fromisoformat(str(last["sent_on"]))


def relief_choice(stored: StoredInvoice, policy: ReminderPolicy, today: date) -> ReliefChoice:
    """The domain's rule (billing.domain.dunning.relief.relief_choice) on this invoice's state; tone and
    fees do not matter for what may be chosen, so the customer's history is left out on purpose."""
    return choose_relief(dunning_state(stored, agreed_on=None, history=CustomerHistory(0, 0)), policy, today)


def _fmt(view_language: str, country: str, currency: str) -> tuple[Any, Any]:
    loc = locale_for(view_language, country)

    def money(amount: int) -> str:
        return format_money(amount, currency, loc)

    def day(value: date | str) -> str:
        return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "long", locale=loc)

    return money, day


def relief(stored: StoredInvoice, tenant: TenantAccount, today: date, api_base: str) -> ReliefBlock | None:
    """The page's relief block from the invoice's dunning state and the tenant's policy, or None."""
    dunning = dunning_of(stored)
    try:
        policy = policy_of(tenant)
    except ReminderPolicyError:
        # A stored policy the rules refuse must not stop invoices from being issued and shown; the
        # daily job reports it (every invoice fails there with the field at fault).
        return None
    choice = relief_choice(stored, policy, today) if stored.status == "open" else None
    moved = dunning.get("due_date_moved_to")
    return relief_block(
        status=stored.status,
        credit_note=stored.invoice.kind == "credit_note",
        instalment_of=bool(dunning.get("instalment_of")),  # its parent's page shows the plan
        plan=instalments_of(stored),
        moved=date.fromisoformat(str(moved)) if moved else None,
        offer=ReliefOffer(choice.can_move, choice.can_split, choice.due_date) if choice else None,
        reminded=any(r.get("status") == "sent" for r in dunning.get("reminders") or []),
        today=today,
        url=f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief",
    )


def render_relief_page(
    stored: StoredInvoice,
    tenant: TenantAccount,
    today: date,
    *,
    page_url: str,
    api_base: str,
    error: str | None = None,
) -> str:
    """The relief form page: what the customer may choose, with its consequences, in their language."""
    invoice = stored.invoice
    lang = invoice.language if invoice.language in LANGUAGES else "en"
    money, day = _fmt(lang, invoice.buyer.country, invoice.currency)
    policy = policy_of(tenant)
    choice = relief_choice(stored, policy, today) if stored.status == "open" else None
    options = []
    if choice and choice.can_split:
        for n in range(2, choice.max_instalments + 1):
            base, rest = divmod(choice.amount_due, n)
            options.append({"n": n, "first": money(base + rest), "rest": money(base)})
    # No part may fall due before the invoice's own due date: the form starts there, not today.
    due = choice.due_date if choice else invoice.due_date
    earliest_first = max(due, today)
    latest_first = date.fromordinal(earliest_first.toordinal() + MAX_DAYS_TO_FIRST_INSTALMENT)
    relief_base = f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief"
    return (
        environment(lang)
        .get_template("relief.html.j2")
        .render(
            lang=lang,
            brand=str(tenant.page.get("name") or tenant.settings.legal_name),
            colour=str(tenant.page.get("colour") or "#1f5f8b"),
            number=invoice.number or invoice.invoice_id,
            amount=money(choice.amount_due) if choice else money(stored.amount_due),
            due=day(choice.due_date if choice else invoice.due_date),
            choice=choice,
            latest=day(choice.latest_due_date) if choice and choice.latest_due_date else "",
            latest_iso=choice.latest_due_date.isoformat() if choice and choice.latest_due_date else "",
            min_iso=today.isoformat(),
            latest_first=day(latest_first),
            latest_first_iso=latest_first.isoformat(),
            earliest_first=day(earliest_first),
            earliest_first_iso=earliest_first.isoformat(),
            options=options,
            move_url=f"{relief_base}/move",
            split_url=f"{relief_base}/split",
            page_url=page_url,
            error=error,
        )
    )


RATES_FILE = Path(__file__).resolve().parents[1] / "data" / "riksbank_reference_rates.json"


@cache
def load_reference_rates() -> ReferenceRates:
    """The Riksbank reference rates from the data file, read once per process (cold start)."""
    return parse_reference_rates(json.loads(RATES_FILE.read_text(encoding="utf-8")))
