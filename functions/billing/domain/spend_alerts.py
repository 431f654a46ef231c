"""Spend alerts the customer sets on the invoice page: "tell me when this month passes X kr".

Pure rules, no I/O. The alert's state is one small document on the customer (`SpendAlert.to_dict`):
the customer's own threshold (or their explicit "no alert"), and the period it last fired for and was
mailed for. Without a choice of their own the tenant's default applies (page setting
`spend_alerts.default`). An alert fires when the invoice so far reaches the threshold, once per
billing period: `fired` is the period's first day, and a period that has fired never fires again,
whatever arrives later or twice.

Amounts are what the page shows: including VAT for a consumer, excluding it for a business
(billing.domain.page.prices), so "500 kr" means the same on the form, the page and the email.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from billing.domain.catalog import Catalog, Subscription
from billing.domain.errors import FieldError
from billing.domain.invoice import Invoice
from billing.domain.periods import period_containing

MAX_THRESHOLD = 100_000_000_00  # 100 million kr in öre: far above any monthly bill, below any overflow
_AMOUNT = re.compile(r"\d{1,9}([.,]\d{1,2})?")


def period_start_on(catalog: Catalog, subscription: Subscription, day: date) -> date:
    """The first day of the billing period `day` is in: the "month" an alert fires once for."""
    plan = catalog.plan(subscription.phases[0].plan_code)
    return period_containing(day, plan.interval, subscription.anchor, subscription.anchor_day).start


class SpendAlertError(FieldError):
    """A threshold or setting that cannot be used; `field` names it."""


@dataclass(frozen=True)
class SpendAlert:
    """`chosen`: the customer made a choice (then `threshold` None means "no alert" even with a
    tenant default). `fired`/`mailed`: the first day of the last period it fired / was emailed for."""

    chosen: bool = False
    threshold: int | None = None
    set_at: datetime | None = None
    fired: date | None = None
    fired_amount: int | None = None
    mailed: date | None = None

    def effective(self, tenant_default: int | None) -> int | None:
        """The threshold in force: the customer's choice, else the tenant's default."""
        return self.threshold if self.chosen else tenant_default

    def armed(self, tenant_default: int | None, period_start: date) -> int | None:
        """The threshold still to watch for in the period starting `period_start`, or None."""
        if self.fired == period_start:
            return None
        return self.effective(tenant_default)

    def mail_pending(self) -> date | None:
        """The period that fired but whose email is not out yet (re-driven until it is)."""
        return self.fired if self.fired is not None and self.mailed != self.fired else None

    def fire(self, period_start: date, amount: int) -> SpendAlert:
        return replace(self, fired=period_start, fired_amount=amount)

    def choose(self, threshold: int | None, at: datetime) -> SpendAlert:
        # `fired` stays: a period that fired never fires again, even for a new threshold.
        return replace(self, chosen=True, threshold=threshold, set_at=at)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.chosen:
            out["chosen"] = True
            out["threshold"] = self.threshold
        if self.set_at is not None:
            out["set_at"] = self.set_at.isoformat()
        if self.fired is not None:
            out["fired"] = self.fired.isoformat()
            out["fired_amount"] = self.fired_amount
        if self.mailed is not None:
            out["mailed"] = self.mailed.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SpendAlert:
        if not data:
            return cls()
        threshold = data.get("threshold")
        return cls(
            chosen=bool(data.get("chosen")),
            threshold=int(threshold) if threshold is not None else None,
            set_at=datetime.fromisoformat(data["set_at"]) if data.get("set_at") else None,
            fired=date.fromisoformat(data["fired"]) if data.get("fired") else None,
            fired_amount=int(data["fired_amount"]) if data.get("fired_amount") is not None else None,
            mailed=date.fromisoformat(data["mailed"]) if data.get("mailed") else None,
        )


def spent_so_far(invoice: Invoice, consumer: bool) -> int:
    """The invoice so far as the page states amounts: VAT included for a consumer, not for a business
    (before öresavrundning, which only the final total gets)."""
    return invoice.subtotal + invoice.vat_total if consumer else invoice.subtotal


def parse_threshold(text: Any, field: str = "amount") -> int:
    """A threshold typed by a person in kronor ("500", "1 200,50", "750 kr") -> minor units."""
    if not isinstance(text, str):
        raise SpendAlertError(field, "must be an amount in kronor, such as 500")
    cleaned = text.strip().lower().removesuffix("kr").removesuffix("sek").strip()
    cleaned = cleaned.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not _AMOUNT.fullmatch(cleaned):
        raise SpendAlertError(field, "must be an amount in kronor, such as 500 or 499,50")
    try:
        minor = int(Decimal(cleaned.replace(",", ".")) * 100)
    except InvalidOperation:
        raise SpendAlertError(field, "must be an amount in kronor, such as 500") from None
    if minor <= 0:
        raise SpendAlertError(field, "must be more than 0 kr")
    if minor > MAX_THRESHOLD:
        raise SpendAlertError(field, "must be at most 100 000 000 kr")
    return minor


def tenant_default(page: Mapping[str, Any]) -> int | None:
    """The merchant's default threshold (page setting `spend_alerts.default`, kronor), or None."""
    section = page.get("spend_alerts")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise SpendAlertError("spend_alerts", "must be a mapping with `default`")
    unknown = sorted(set(section) - {"default"})
    if unknown:
        raise SpendAlertError(f"spend_alerts.{unknown[0]}", "unknown key; expected default")
    value = section.get("default")
    if value is None:
        return None
    return parse_threshold(str(value), "spend_alerts.default")
