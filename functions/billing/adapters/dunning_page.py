"""Dunning on the invoice page and in its emails: the last reminder, relief, the instalment plan.

Kept beside the page view-model rather than inside it: `last_reminder` fills the page's existing
`InvoiceState.reminder` (so the page words the reminder exactly as the email did), and
`add_dunning_block` adds one section of our own (templates/relief_block.html.j2) after the summary
and reminder: the relief the customer can still choose, a moved due date, or the instalment plan.
`render_relief_page` is the small form page behind GET /v1/pages/{token}/relief.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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
    can_move_due_date,
    can_split,
    parse_reference_rates,
)
from billing.domain.dunning.relief import MAX_DAYS_TO_FIRST_INSTALMENT, latest_moved_due_date
from billing.domain.page.view import InvoicePageView
from billing.services.dunning.state import dunning_of, dunning_state, policy_of
from billing.services.ports import StoredInvoice, TenantAccount

# Our own words (sv/en) for the block, the relief page and the short confirmation emails. Placeholders
# are filled with already formatted money and dates.
TEXTS: Mapping[str, Mapping[str, str]] = {
    "relief_title": {"sv": "Behöver du mer tid?", "en": "Need more time?"},
    # The intro says only what is still open: after the move, moving is no longer offered.
    "relief_intro": {
        "sv": "Du kan själv välja att flytta förfallodagen en gång, "
        "eller dela upp beloppet i delbetalningar.",
        "en": "You can choose to move the due date once, or split the amount into instalments.",
    },
    "relief_intro_move": {
        "sv": "Du kan själv välja att flytta förfallodagen en gång.",
        "en": "You can choose to move the due date once.",
    },
    "relief_intro_split": {
        "sv": "Du kan själv välja att dela upp beloppet i delbetalningar. Ingen del förfaller före {due}.",
        "en": "You can choose to split the amount into instalments. No part falls due before {due}.",
    },
    "relief_later": {
        "sv": "Du kan själv flytta förfallodagen eller dela upp beloppet.",
        "en": "You can move the due date or split the amount yourself.",
    },
    "relief_link": {"sv": "Välj mer tid eller delbetalning", "en": "Choose more time or instalments"},
    "moved": {"sv": "Du har flyttat förfallodagen till {date}.", "en": "You moved the due date to {date}."},
    "plan_title": {"sv": "Dina delbetalningar", "en": "Your instalments"},
    "plan_intro": {
        "sv": "Du valde att dela upp fakturan. Betala varje del med dess eget OCR-nummer.",
        "en": "You chose to split this invoice. Pay each part with its own OCR reference.",
    },
    "col_part": {"sv": "Del", "en": "Part"},
    "col_due": {"sv": "Förfallodag", "en": "Due date"},
    "col_amount": {"sv": "Belopp", "en": "Amount"},
    "col_ocr": {"sv": "OCR-nummer", "en": "OCR reference"},
    "col_status": {"sv": "Status", "en": "Status"},
    "paid": {"sv": "Betald", "en": "Paid"},
    "unpaid": {"sv": "Att betala", "en": "To pay"},
    "page_title": {"sv": "Mer tid eller delbetalning", "en": "More time or instalments"},
    "amount_due": {"sv": "Att betala: {amount}, förfallodag {date}.", "en": "To pay: {amount}, due {date}."},
    "move_title": {"sv": "Flytta förfallodagen", "en": "Move the due date"},
    "move_body": {
        "sv": "Välj en ny förfallodag, senast {latest}. Det går att göra en gång. Påminnelser och "
        "dröjsmålsränta räknas från den nya dagen.",
        "en": "Choose a new due date, at the latest {latest}. You can do this once. Reminders and "
        "late-payment interest count from the new date.",
    },
    "move_button": {"sv": "Flytta förfallodagen", "en": "Move the due date"},
    "split_title": {"sv": "Dela upp i delbetalningar", "en": "Split into instalments"},
    "split_intro": {
        "sv": "Dela upp {amount} i 2 till {max} delar, en i månaden. Varje del får egen förfallodag och "
        "eget OCR-nummer. Den första delen förfaller den dag du väljer, tidigast {earliest} och senast "
        "{latest}.",
        "en": "Split {amount} into 2 to {max} parts, one a month. Each part gets its own due date and OCR "
        "reference. The first part is due on the day you choose, from {earliest} to {latest}.",
    },
    "split_option": {
        "sv": "{n} delar: {first} och sedan {rest} i månaden",
        "en": "{n} parts: {first}, then {rest} a month",
    },
    "split_first_due": {"sv": "Första förfallodag", "en": "First due date"},
    "split_button": {"sv": "Dela upp", "en": "Split"},
    "nothing_offered": {
        "sv": "Den här fakturan kan inte flyttas eller delas upp. Hör av dig till oss om du behöver hjälp.",
        "en": "This invoice cannot be moved or split. Get in touch if you need help.",
    },
    "back": {"sv": "Tillbaka till fakturan", "en": "Back to the invoice"},
    "refused": {"sv": "Det gick inte: {reason}", "en": "That did not work: {reason}"},
    # Confirmation emails
    "moved_subject": {"sv": "Ny förfallodag för faktura {number}", "en": "New due date for invoice {number}"},
    "moved_body": {
        "sv": "Hej {name}!\n\nFörfallodagen för faktura {number} är nu {date}. Beloppet är {amount}.\n\n"
        "Fakturan: {url}\n\nVänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nThe due date of invoice {number} is now {date}. The amount is {amount}.\n\n"
        "The invoice: {url}\n\nBest regards,\n{tenant}",
    },
    "split_subject": {
        "sv": "Dina delbetalningar för faktura {number}",
        "en": "Your instalments for invoice {number}",
    },
    "split_body": {
        "sv": "Hej {name}!\n\nFaktura {number} är nu uppdelad i {n} delar:\n\n{plan}\n\n"
        "Betala varje del till bankgiro {bankgiro} med dess OCR-nummer, eller på fakturasidan: {url}\n\n"
        "Vänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nInvoice {number} is now split into {n} parts:\n\n{plan}\n\n"
        "Pay each part to bankgiro {bankgiro} with its OCR reference, or on the invoice page: {url}\n\n"
        "Best regards,\n{tenant}",
    },
    "plan_line": {
        "sv": "Del {k}: {amount}, förfaller {date}, OCR {ocr}",
        "en": "Part {k}: {amount}, due {date}, OCR {ocr}",
    },
    "answer_subject": {
        "sv": "Svar på din fråga om faktura {number}",
        "en": "An answer to your question on invoice {number}",
    },
    "answer_body": {
        "sv": "Hej {name}!\n\nDu frågade:\n{question}\n\nVårt svar:\n{answer}\n\nFakturan: {url}\n\n"
        "Vänliga hälsningar\n{tenant}",
        "en": "Hello {name},\n\nYou asked:\n{question}\n\nOur answer:\n{answer}\n\nThe invoice: {url}\n\n"
        "Best regards,\n{tenant}",
    },
}


def text(key: str, language: str, **params: object) -> str:
    lang = language if language in LANGUAGES else "en"
    return TEXTS[key][lang].format(**params)


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


@dataclass(frozen=True)
class ReliefChoice:
    """What the customer may still choose on this invoice today."""

    can_move: bool
    latest_due_date: date | None
    can_split: bool
    max_instalments: int
    due_date: date
    amount_due: int


def relief_choice(stored: StoredInvoice, policy: ReminderPolicy, today: date) -> ReliefChoice:
    # Tone and fees do not matter for what may be chosen; the history is left out on purpose.
    state = dunning_state(stored, agreed_on=None, history=CustomerHistory(0, 0))
    movable = can_move_due_date(state, policy, today)
    splittable = can_split(state, policy)
    return ReliefChoice(
        can_move=movable,
        latest_due_date=latest_moved_due_date(state, policy) if movable else None,
        can_split=splittable,
        max_instalments=policy.max_instalments if splittable else 0,
        due_date=state.due_date,
        amount_due=state.amount_due_minor,
    )


def _fmt(view_language: str, country: str, currency: str) -> tuple[Any, Any]:
    loc = locale_for(view_language, country)

    def money(amount: int) -> str:
        return format_money(amount, currency, loc)

    def day(value: date | str) -> str:
        return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "long", locale=loc)

    return money, day


def add_dunning_block(
    page_html: str,
    view: InvoicePageView,
    stored: StoredInvoice,
    tenant: TenantAccount,
    today: date,
    api_base: str,
) -> str:
    """The page with our section after the summary (and the reminder, when shown); unchanged when
    there is nothing to say (paid invoices, credit notes, relief not offered)."""
    if stored.invoice.kind == "credit_note" or stored.status in ("paid", "credited", "void"):
        return page_html
    dunning = dunning_of(stored)
    if dunning.get("instalment_of"):
        return page_html  # an instalment's own page: its parent's page shows the plan
    try:
        policy = policy_of(tenant)
    except ReminderPolicyError:
        # A stored policy the rules refuse must not stop invoices from being issued and shown; the
        # daily job reports it (every invoice fails there with the field at fault).
        return page_html
    choice = relief_choice(stored, policy, today) if stored.status == "open" else None
    plan = (dunning.get("split") or {}).get("instalments") or []
    moved = dunning.get("due_date_moved_to")
    if not plan and not moved and not (choice and (choice.can_move or choice.can_split)):
        return page_html
    money, day = _fmt(view.language, view.country, view.currency)
    lang = view.language
    offer = choice if choice and (choice.can_move or choice.can_split) else None
    # Relief is for when paying on time gets hard: near or after the due date, or once reminded. Before
    # that the page keeps it to one line further down, so it is there on request but not in the way.
    later = bool(offer and not plan and not moved and not relief_is_timely(offer.due_date, today, stored))
    html = (
        environment(lang if lang in LANGUAGES else "en")
        .get_template("relief_block.html.j2")
        .render(
            t=lambda key, **p: text(key, lang, **p),
            money=money,
            day=day,
            plan=plan,
            moved=moved,
            offer=offer,
            later=later,
            relief_url=f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief",
        )
    )
    if later:
        return _insert_before_questions(page_html, html)
    return _insert_after_summary(page_html, html)


RELIEF_NEAR_DUE_DAYS = 7


def relief_is_timely(due_date: date, today: date, stored: StoredInvoice) -> bool:
    """Relief is offered up front from a week before the due date, or once a reminder went out."""
    reminded = any(r.get("status") == "sent" for r in dunning_of(stored).get("reminders") or [])
    return reminded or (due_date - today).days <= RELIEF_NEAR_DUE_DAYS


def _insert_before_questions(page_html: str, block: str) -> str:
    at = page_html.find('<section id="block-questions"')
    return (
        _insert_after_summary(page_html, block)
        if at == -1
        else page_html[:at] + block + "\n" + page_html[at:]
    )


def _insert_after_summary(page_html: str, block: str) -> str:
    for anchor in ('id="block-reminder"', 'id="block-summary"'):
        start = page_html.find(anchor)
        if start == -1:
            continue
        end = page_html.find("</section>", start)
        if end == -1:
            continue
        end += len("</section>")
        return page_html[:end] + "\n" + block + page_html[end:]
    marker = "</main>"
    at = page_html.find(marker)
    return page_html if at == -1 else page_html[:at] + block + page_html[at:]


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
            options.append(
                {"n": n, "label": text("split_option", lang, n=n, first=money(base + rest), rest=money(base))}
            )
    # No part may fall due before the invoice's own due date: the form starts there, not today.
    due = choice.due_date if choice else invoice.due_date
    earliest_first = max(due, today)
    latest_first = date.fromordinal(earliest_first.toordinal() + MAX_DAYS_TO_FIRST_INSTALMENT)
    relief_base = f"{api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief"
    return (
        environment(lang)
        .get_template("relief.html.j2")
        .render(
            t=lambda key, **p: text(key, lang, **p),
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
