"""The one recommender (billing.domain.page.advice): never two advices pointing different ways, each
with its one step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.page import Announcement, Branding, History, LocalText, OfferRule, PageSettings
from billing.domain.page.advice import STAY, direction, plan_fit_direction
from billing.domain.page.build import build_invoice_page
from billing.domain.page.context import PageLinks, PlanSwitchQuote, Segment
from billing.domain.page.view import InvoicePageView
from tests.unit.page.builders import API, CUSTOMER, PAGE, TOKEN, context, invoice, mobile_catalog, usage

PLANS = ["mini", "bas", "max", "yearly", "gone"]


def _offer(i: int, plan: str | None, charge: str | None) -> OfferRule:
    return OfferRule(
        f"o{i}",
        LocalText.of(f"Offer {i}"),
        LocalText.of("Body"),
        "https://t.example/o",
        charge_code=charge,
        plan_code=plan,
    )


def _news(i: int, plan: str | None) -> Announcement:
    return Announcement(f"a{i}", LocalText.of(f"News {i}"), LocalText.of("Body"), plan_code=plan)


def directions(view: InvoicePageView, current: str | None) -> set[str]:
    """Every way the page advises: plan fit's, each offer's, each announcement that names a plan."""
    ways: set[str] = set()
    if view.plan_fit is not None:
        ways.add(plan_fit_direction(view.plan_fit))
    ways |= {direction(o.plan_code, current) for o in view.offers}
    ways |= {direction(a.plan_code, current) for a in view.announcements if a.plan_code is not None}
    return ways


def _page(gb: list[str], plan: str, threshold: int, offers: list[OfferRule], news: list[Announcement]):
    page_settings = PageSettings(
        branding=Branding(name="Nordljus Mobil"),
        plan_fit_threshold=threshold,
        offers=tuple(offers),
        announcements=tuple(news),
    )
    ctx = context(
        history=History(usage=usage(gb) if gb else (), current_plan_code=plan, invoice_count=len(gb) + 1),
        catalog=mobile_catalog(),
        customer=CUSTOMER,
        settings=page_settings,
    )
    return build_invoice_page(invoice(), ctx)


@settings(max_examples=200, deadline=None)
@given(
    gb=st.lists(st.integers(min_value=0, max_value=60).map(str), max_size=3),
    plan=st.sampled_from(PLANS),
    threshold=st.integers(min_value=0, max_value=200_000),
    offers=st.lists(
        st.tuples(st.sampled_from([None, *PLANS]), st.sampled_from([None, "bas_data", "max_data"])),
        max_size=4,
    ),
    news=st.lists(st.sampled_from([None, *PLANS]), max_size=4),
)
def test_the_page_never_advises_two_ways(
    gb: list[str],
    plan: str,
    threshold: int,
    offers: list[tuple[str | None, str | None]],
    news: list[str | None],
) -> None:
    # Given any tenant settings (plan fit threshold, offers and announcements for any plan or none) and
    # any usage on any plan
    view = _page(
        gb,
        plan,
        threshold,
        [_offer(i, p, c) for i, (p, c) in enumerate(offers)],
        [_news(i, p) for i, p in enumerate(news)],
    )
    # Then everything the page advises points one way
    assert len(directions(view, plan)) <= 1
    # And no offer sells the customer the plan they have
    assert all(o.plan_code != plan for o in view.offers)
    # And every advice to act comes with its one step
    assert all(o.action is not None for o in view.offers)
    if view.plan_fit is not None and view.plan_fit.suggested is not None:
        assert view.plan_fit.action is not None
        assert view.plan_fit.action.plan_code == view.plan_fit.suggested.plan_code


def test_plan_fit_wins_over_an_offer_the_other_way() -> None:
    # Given 10 GB a month on Bas: plan fit suggests Max; the tenant offers Mini and an add-on
    view = _page(["10", "10", "10"], "bas", 0, [_offer(0, "mini", None), _offer(1, None, "bas_data")], [])
    # Then only plan fit's advice is shown
    assert view.plan_fit is not None and view.plan_fit.suggested is not None
    assert view.plan_fit.suggested.plan_code == "max"
    assert view.offers == ()


def test_an_offer_the_same_way_as_plan_fit_is_kept_with_the_plan_price_incl_vat_for_a_consumer() -> None:
    view = _page(["10", "10", "10"], "bas", 0, [_offer(0, "max", None)], [])
    (offer,) = view.offers
    assert (offer.plan_code, offer.plan_name) == ("max", "Mobil Max")
    assert offer.monthly_price == 43_625 and offer.incl_vat  # 349 kr excl. 25 % VAT
    business = replace(CUSTOMER, is_business=True)
    page_settings = PageSettings(branding=Branding(name="N"), offers=(_offer(0, "max", None),))
    ctx = context(
        history=History(usage=usage(["10"] * 3), current_plan_code="bas", invoice_count=4),
        catalog=mobile_catalog(),
        customer=business,
        settings=page_settings,
    )
    (offer,) = build_invoice_page(invoice(), ctx).offers
    assert offer.monthly_price == 34_900 and not offer.incl_vat


def test_a_fitting_plan_keeps_add_ons_and_drops_switches() -> None:
    # Given 1 GB a month on Bas: the plan fits
    view = _page(["1", "1", "1"], "bas", 100_000, [_offer(0, "max", None), _offer(1, None, None)], [])
    assert view.plan_fit is not None and view.plan_fit.fits
    assert [o.offer_id for o in view.offers] == ["o1"]
    assert directions(view, "bas") == {STAY}


def test_the_step_is_a_prefilled_question_about_the_fee_line_or_the_plan_change_where_it_exists() -> None:
    view = _page(["10", "10", "10"], "bas", 0, [], [])
    action = view.plan_fit.action if view.plan_fit else None
    assert action is not None and action.kind == "question" and action.topic == "switch"
    assert action.url == f"{API}/v1/pages/{TOKEN}/questions"
    assert action.line_id == next(x.line_id for x in invoice().lines if x.kind == "fee")
    # When the tenant has a plan-change route, the step is the switch itself
    ctx = replace(
        context(
            history=History(usage=usage(["10"] * 3), current_plan_code="bas", invoice_count=4),
            catalog=mobile_catalog(),
            customer=CUSTOMER,
        ),
        links=PageLinks(
            token=TOKEN, page_url=PAGE, api_base=API, plan_change_url=f"{API}/v1/pages/{TOKEN}/plan"
        ),
    )
    # ... but only with the use case's terms for that plan (none here: still a question)
    fit = build_invoice_page(invoice(), ctx).plan_fit
    assert fit is not None and fit.action is not None and fit.action.kind == "question"
    # With them, the step is the switch, carrying its terms to show before the press
    terms = PlanSwitchQuote("max", date(2026, 12, 4), True, 12_345, "SEK", "0123456789abcdef")
    fit = build_invoice_page(invoice(), replace(ctx, plan_switches=(terms,))).plan_fit
    assert fit is not None and fit.action is not None
    assert (fit.action.kind, fit.action.plan_code, fit.action.url, fit.action.switch) == (
        "plan_change",
        "max",
        f"{API}/v1/pages/{TOKEN}/plan",
        terms,
    )


def test_an_announcement_is_for_its_region_only() -> None:
    news = Announcement(
        "5g", LocalText.of("5G i Norrland"), LocalText.of("B"), segment=Segment(postcodes=("90", "91"))
    )
    page_settings = PageSettings(branding=Branding(name="N"), announcements=(news,))
    lund = build_invoice_page(invoice(), context(settings=page_settings, customer=CUSTOMER))
    assert lund.announcements == ()  # 222 33 Lund
    umea = replace(invoice(), buyer=replace(invoice().buyer, address=("Storgatan 1", "903 26 Umeå")))
    assert [
        a.announcement_id for a in build_invoice_page(umea, context(settings=page_settings)).announcements
    ] == ["5g"]
