"""The one recommender of the invoice page: which advice the customer gets, and what one step acts on it.

Plan fit (the customer's own usage re-priced), the tenant's offers and announcements that point to a plan
can each say "switch to X", "stay and add Y" or "your plan fits". Shown side by side they contradicted
each other (an offer for Plus next to plan fit's Max). Here every piece of advice has a *direction*: the
plan it leads to, the customer's own plan for add-ons and "it fits". The page shows advice of one
direction only: plan fit's, when it has one (it is computed from the customer's usage; an offer is the
tenant's wish), else the first offer's in the tenant's order. Announcements without a plan are news,
not advice, and always pass.

Each piece of advice comes with one step (`AdviceAction`): the plan switch itself where the tenant has
a plan-change route (`PageLinks.plan_change_url`), else a question to the tenant prefilled with the
line it is about, sent with one press. `advice_action` is the seam to plug other actions into.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.invoice import Invoice
from billing.domain.page.context import PageLinks, PlanSwitchQuote
from billing.domain.page.view import AdviceAction, AnnouncementView, OfferView, PlanFitView

STAY = ""  # the direction of advice that keeps the customer's plan (add-ons, "your plan fits")


def direction(plan_code: str | None, current_plan: str | None) -> str:
    """The plan advice leads to; STAY for the customer's own plan (or none named)."""
    return STAY if plan_code is None or plan_code == current_plan else plan_code


def plan_fit_direction(fit: PlanFitView) -> str:
    return STAY if fit.fits or fit.suggested is None else fit.suggested.plan_code


def _fee_line(invoice: Invoice) -> str | None:
    return next((x.line_id for x in invoice.lines if x.kind == "fee"), None)


def _charge_line(invoice: Invoice, charge_code: str | None) -> str | None:
    if charge_code is None:
        return None
    return next((x.line_id for x in invoice.lines if x.charge_code == charge_code), None)


def advice_action(
    links: PageLinks,
    invoice: Invoice,
    *,
    plan_code: str | None,
    plan_name: str | None,
    subject: str | None = None,
    charge_code: str | None = None,
    switches: tuple[PlanSwitchQuote, ...] = (),
) -> AdviceAction:
    """The one step for advice leading to `plan_code` (None: an add-on about `subject`): the switch
    itself when the page has its route and the use case's terms for that plan (`switches`)."""
    quote = next((q for q in switches if q.plan_code == plan_code), None)
    if plan_code is not None and links.plan_change_url and quote is not None:
        return AdviceAction(
            kind="plan_change",
            url=links.plan_change_url,
            topic="switch",
            plan_code=plan_code,
            plan_name=plan_name,
            switch=quote,
        )
    if plan_code is not None:
        return AdviceAction(
            kind="question",
            url=links.api("questions"),
            topic="switch",
            plan_code=plan_code,
            plan_name=plan_name,
            line_id=_fee_line(invoice),
        )
    return AdviceAction(
        kind="question",
        url=links.api("questions"),
        topic="offer",
        subject=subject,
        line_id=_charge_line(invoice, charge_code) or _fee_line(invoice),
    )


@dataclass(frozen=True)
class Advice:
    """What the page advises, all of one direction (`direction`: a plan code, STAY, or None: no advice)."""

    plan_fit: PlanFitView | None
    offers: tuple[OfferView, ...]
    announcements: tuple[AnnouncementView, ...]
    direction: str | None


def recommend(
    current_plan: str | None,
    plan_fit: PlanFitView | None,
    offers: tuple[OfferView, ...],
    announcements: tuple[AnnouncementView, ...],
) -> Advice:
    """Keep the advice of one direction: plan fit's when there is plan fit, else the first offer's."""
    chosen = plan_fit_direction(plan_fit) if plan_fit is not None else None
    kept_offers: list[OfferView] = []
    for offer in offers:
        if offer.plan_code is not None and offer.plan_code == current_plan:
            continue  # never sell a customer the plan they have
        way = direction(offer.plan_code, current_plan)
        if chosen is None:
            chosen = way
        if way == chosen:
            kept_offers.append(offer)
    kept_news: list[AnnouncementView] = []
    for news in announcements:
        if news.plan_code is None:
            kept_news.append(news)
            continue
        way = direction(news.plan_code, current_plan)
        if chosen is None:
            chosen = way
        if way == chosen:
            kept_news.append(news)
    return Advice(plan_fit, tuple(kept_offers), tuple(kept_news), chosen)
