"""The price-change notice page: the change, its reason, the customer's own backtest and the three
choices (billing.services.price_changes). Built here like every customer page; rendered by the
adapters' templates (price_change.html.j2, email_price_change.*.j2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.catalog import Catalog, Plan
from billing.domain.page.context import Branding


@dataclass(frozen=True)
class FeeView:
    name: str
    before: int | None  # recurring fee per period, excl. VAT; None: not on that version
    after: int | None


@dataclass(frozen=True)
class PriceChangeView:
    language: str
    country: str
    brand: Branding
    customer_name: str
    plan_name: str
    effective_date: date
    reason: str
    currency: str
    fees: tuple[FeeView, ...]
    usage_changed: bool  # a usage price changed as well (the backtest counts it)
    periods: int  # invoices the backtest re-quoted; 0: no history to compare
    per_year: int  # what the new price means per year for this customer
    incl_vat: bool
    suggestion_name: str | None
    choice: str | None
    closed: bool  # the effective date has come: choices are carried out, not changed
    action_url: str
    support_email: str | None

    @property
    def direction(self) -> str:
        return "up" if self.per_year > 0 else "down" if self.per_year < 0 else "same"


def _fees(old: Plan, new: Plan) -> tuple[tuple[FeeView, ...], bool]:
    before = {c.code: c for c in old.charges}
    after = {c.code: c for c in new.charges}
    fees = []
    usage_changed = False
    for code in [*before, *(c for c in after if c not in before)]:
        b, a = before.get(code), after.get(code)
        if (b or a) and (b or a).is_recurring_fee:  # type: ignore[union-attr]
            fees.append(
                FeeView(
                    (a or b).name,  # type: ignore[union-attr]
                    b.amount if b and b.is_recurring_fee else None,
                    a.amount if a and a.is_recurring_fee else None,
                )
            )
        elif b != a:
            usage_changed = True
    return tuple(fees), usage_changed


def price_change_view(
    *,
    catalog: Catalog,
    brand: Branding,
    support_email: str | None,
    from_version: str,
    new_version: str,
    effective_date: date,
    reason: str,
    customer_name: str,
    language: str,
    country: str,
    periods: int,
    per_year: int,
    incl_vat: bool,
    suggestion: str | None,
    choice: str | None,
    today: date,
    action_url: str,
) -> PriceChangeView:
    old, new = catalog.plans[from_version], catalog.plans[new_version]
    fees, usage_changed = _fees(old, new)
    suggested = catalog.plans.get(suggestion) if suggestion else None
    return PriceChangeView(
        language=language,
        country=country,
        brand=brand,
        customer_name=customer_name,
        plan_name=new.name,
        effective_date=effective_date,
        reason=reason,
        currency=new.currency,
        fees=fees,
        usage_changed=usage_changed,
        periods=periods,
        per_year=per_year,
        incl_vat=incl_vat,
        suggestion_name=suggested.name if suggested else None,
        choice=choice,
        closed=today >= effective_date,
        action_url=action_url,
        support_email=support_email,
    )
