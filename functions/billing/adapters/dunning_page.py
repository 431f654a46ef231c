"""The relief form page behind GET /v1/pages/{token}/relief, and the Riksbank reference rates file.

`render_relief_page` words the relief the customer may still choose (decided by the use case:
billing.services.relief.CustomerRelief.choice) with its consequences in their language. What the
invoice page itself shows of dunning (the last reminder, the relief block, the instalment plan) is
read by billing.services.dunning.page and reaches the page through its `PageFacts`.
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
    ReferenceRates,
    parse_reference_rates,
)
from billing.domain.dunning.relief import MAX_DAYS_TO_FIRST_INSTALMENT
from billing.services.dunning.ports import ReliefFormPage


def _fmt(view_language: str, country: str, currency: str) -> tuple[Any, Any]:
    loc = locale_for(view_language, country)

    def money(amount: int) -> str:
        return format_money(amount, currency, loc)

    def day(value: date | str) -> str:
        return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "long", locale=loc)

    return money, day


def render_relief_page(page: ReliefFormPage) -> str:
    """The relief form page: what the customer may choose (`page.choice`, None when the invoice is not
    open: billing.services.relief.CustomerRelief.choice), with its consequences, in their language."""
    stored, tenant, today, choice = page.stored, page.tenant, page.today, page.choice
    invoice = stored.invoice
    lang = invoice.language if invoice.language in LANGUAGES else "en"
    money, day = _fmt(lang, invoice.buyer.country, invoice.currency)
    options = []
    if choice and choice.can_split:
        for n in range(2, choice.max_instalments + 1):
            base, rest = divmod(choice.amount_due, n)
            options.append({"n": n, "first": money(base + rest), "rest": money(base)})
    # No part may fall due before the invoice's own due date: the form starts there, not today.
    due = choice.due_date if choice else invoice.due_date
    earliest_first = max(due, today)
    latest_first = date.fromordinal(earliest_first.toordinal() + MAX_DAYS_TO_FIRST_INSTALMENT)
    relief_base = f"{page.api_base.rstrip('/')}/v1/pages/{stored.page_token}/relief"
    return (
        environment(lang)
        .get_template("relief.html.j2")
        .render(
            lang=lang,
            brand=tenant.page_settings.branding.name,
            colour=tenant.page_settings.branding.colour,
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
            page_url=page.page_url,
            error=page.error,
        )
    )


RATES_FILE = Path(__file__).resolve().parents[1] / "data" / "riksbank_reference_rates.json"


@cache
def load_reference_rates() -> ReferenceRates:
    """The Riksbank reference rates from the data file, read once per process (cold start)."""
    return parse_reference_rates(json.loads(RATES_FILE.read_text(encoding="utf-8")))
