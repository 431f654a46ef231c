"""Each personal block of the invoice page: present only when it has something true to say."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.dunning.messages import ReliefOffer, ReminderMessage, build_reminder_message
from billing.domain.dunning.policy import Tone
from billing.domain.invoice import Invoice, InvoiceLine
from billing.domain.page import (
    Announcement,
    History,
    InvoiceState,
    LocalText,
    LoyaltyBenefit,
    OfferRule,
    PageContext,
    PageError,
    PageLinks,
    PageSettings,
    Poll,
    PriceChange,
    Segment,
    build_invoice_page,
)
from billing.domain.page.chart import charge_name
from billing.domain.page.context import Branding
from tests.unit.page.builders import (
    API,
    CUSTOMER,
    PAGE,
    TOKEN,
    context,
    invoice,
    line,
    mobile_catalog,
    monthly_history,
    usage,
)

BRAND = Branding(name="Nordljus Mobil")


def with_settings(**kwargs: Any) -> PageSettings:
    return PageSettings(branding=BRAND, **kwargs)


# --------------------------------------------------------------------------------------------------
# Chart


def test_no_chart_without_an_earlier_invoice_to_compare() -> None:
    view = build_invoice_page(invoice(), context())
    assert view.chart is None


def test_the_chart_shows_the_last_twelve_periods_ending_with_this_invoice() -> None:
    # Given 30 earlier monthly invoices
    history = History(previous_invoices=monthly_history(30), invoice_count=31)
    # When the page is built
    chart = build_invoice_page(invoice(), context(history=history)).chart
    # Then twelve bars, oldest first, the last one this invoice
    assert chart is not None
    assert len(chart.bars) == 12
    assert chart.bars[-1].current and not any(b.current for b in chart.bars[:-1])
    assert chart.bars[-1].period_start == date(2026, 11, 1)
    assert chart.bars[0].period_start == date(2025, 12, 1)
    assert [b.x for b in chart.bars] == sorted(b.x for b in chart.bars)


def test_bar_heights_follow_amounts_and_the_usage_line_follows_quantities() -> None:
    # Given last month 3.1 GB for a small amount, this month 12.4 GB for more
    small = (
        line("l1", "Mobil Bas", 19_900),
        line("l2", "Mobildata", 1_500, kind="usage", quantity="3.1", unit="GB", charge_code="data"),
    )
    previous = invoice(small, period_start=date(2026, 10, 1), number=None)
    chart = build_invoice_page(invoice(), context(history=History(previous_invoices=(previous,)))).chart
    assert chart is not None
    before, now = chart.bars
    # Then the dearer month has the taller bar and the higher usage dot (smaller y)
    assert now.height > before.height > 0
    assert now.y + now.height == before.y + before.height  # one baseline
    assert before.dot_y is not None and now.dot_y is not None and now.dot_y < before.dot_y
    assert (before.quantity, now.quantity) == (Decimal("3.1"), Decimal("12.4"))
    assert chart.usage_name == "Mobildata" and chart.unit == "GB"
    assert chart.usage_points == f"{before.dot_x},{before.dot_y} {now.dot_x},{now.dot_y}"
    assert chart.average_before == previous.total  # already whole kronor


def test_without_usage_lines_the_chart_has_no_usage_line() -> None:
    fees = (line("l1", "Fiber 100", 29_900),)
    history = History(previous_invoices=(invoice(fees, period_start=date(2026, 10, 1)),))
    chart = build_invoice_page(invoice(fees), context(history=history)).chart
    assert chart is not None
    assert not chart.has_usage and chart.usage_points == "" and chart.unit == ""


# --------------------------------------------------------------------------------------------------
# Why this bill differs


def _with_data(gb: str, amount: int, *extra: InvoiceLine, start: date = date(2026, 10, 1)) -> Invoice:
    lines = (
        line("l1", "Mobil Bas", 19_900, charge_code="base"),
        line("l2", "Mobildata", amount, kind="usage", quantity=gb, unit="GB", charge_code="data"),
        *extra,
    )
    return invoice(lines, period_start=start, number=None)


def test_no_difference_block_for_the_first_invoice_or_an_unchanged_total() -> None:
    assert build_invoice_page(invoice(), context()).changes is None
    same = invoice(period_start=date(2026, 10, 1), number=None)
    assert build_invoice_page(invoice(), context(history=History(previous_invoices=(same,)))).changes is None


def test_more_usage_is_explained_with_quantities_and_the_amount() -> None:
    # Given 3.1 GB last month and 12.4 GB now
    previous = _with_data("3.1", 1_500)
    changes = build_invoice_page(invoice(), context(history=History(previous_invoices=(previous,)))).changes
    # Then the one change says more data, from how much to how much
    assert changes is not None
    assert changes.previous_issue_date == date(2026, 10, 1)
    (change,) = changes.changes
    assert change.kind == "more"
    assert (change.previous_quantity, change.quantity, change.unit) == (Decimal("3.1"), Decimal("12.4"), "GB")
    assert change.difference == 5_500  # 44 kr excl. VAT, shown to this consumer incl. 25 % VAT


def test_new_and_gone_lines_are_named_and_the_largest_changes_come_first() -> None:
    # Given last month had a roaming line and a little data; now an extra-data pack and more data
    roaming = line("r", "Roaming EU", 3_000, kind="usage", quantity="2", unit="GB", charge_code="roam")
    extra = line("x", "Extra data 5 GB", 4_900, charge_code="extra")
    tiny = line("t", "SMS", 150, kind="usage", quantity="3", unit="st", charge_code="sms")
    tiny_before = line("t", "SMS", 100, kind="usage", quantity="2", unit="st", charge_code="sms")
    previous = _with_data("10", 5_000, roaming, tiny_before)
    current = _with_data("12.4", 5_900, extra, tiny, start=date(2026, 11, 1))
    changes = build_invoice_page(current, context(history=History(previous_invoices=(previous,)))).changes
    assert changes is not None
    # Then: the extra pack (new, 49 kr), roaming gone (30 kr), data more (9 kr); SMS (0,50 kr) is too small
    assert [(c.kind, c.description) for c in changes.changes] == [
        ("new", "Extra data 5 GB"),
        ("gone", "Roaming EU"),
        ("more", "Mobildata"),
    ]


def test_at_most_three_changes_are_listed() -> None:
    before = tuple(line(f"a{i}", f"Tjänst {i}", 1_000 * (i + 1), charge_code=f"c{i}") for i in range(5))
    after = tuple(line(f"a{i}", f"Tjänst {i}", 3_000 * (i + 1), charge_code=f"c{i}") for i in range(5))
    previous = invoice(before, period_start=date(2026, 10, 1), number=None)
    changes = build_invoice_page(
        invoice(after), context(history=History(previous_invoices=(previous,)))
    ).changes
    assert changes is not None
    assert [c.description for c in changes.changes] == ["Tjänst 4", "Tjänst 3", "Tjänst 2"]


# --------------------------------------------------------------------------------------------------
# Plan fit


def fit_context(gb: list[str], plan: str = "bas", **settings_kwargs: Any) -> PageContext:
    return context(
        history=History(usage=usage(gb), current_plan_code=plan, invoice_count=len(gb) + 1),
        catalog=mobile_catalog(),
        customer=CUSTOMER,
        settings=with_settings(**settings_kwargs),
    )


def test_a_heavy_data_user_is_told_the_bigger_plan_would_cost_less_per_year() -> None:
    # Given 10 GB a month on Bas (199 + 10 x 49 = 689 kr) while Max costs 349 kr with 30 GB included
    view = build_invoice_page(invoice(), fit_context(["10", "10", "10"]))
    fit = view.plan_fit
    # Then Max is suggested with the yearly saving, excl. VAT
    assert fit is not None and not fit.fits
    assert fit.suggested is not None and fit.suggested.plan_code == "max"
    assert fit.current.cost_per_year == 68_900 * 12
    assert fit.suggested.cost_per_year == 34_900 * 12
    assert fit.saving_per_year == (68_900 - 34_900) * 12
    assert fit.periods_considered == 3


def test_a_light_user_is_told_the_smaller_plan_even_though_it_lowers_revenue() -> None:
    view = build_invoice_page(invoice(), fit_context(["1", "1", "1"]))
    assert view.plan_fit is not None and view.plan_fit.suggested is not None
    assert view.plan_fit.suggested.plan_code == "mini"
    assert view.plan_fit.saving_per_year == 5_000 * 12


def test_an_equally_priced_plan_is_no_reason_to_switch() -> None:
    # Given 2 GB a month: Mini and Bas both cost 297 kr
    fit = build_invoice_page(invoice(), fit_context(["2", "2"])).plan_fit
    assert fit is not None and fit.fits and fit.suggested is None and fit.saving_per_year == 0


@pytest.mark.parametrize(("threshold", "fits"), [(60_000, True), (59_999, False)])
def test_a_saving_must_exceed_the_tenants_threshold(threshold: int, fits: bool) -> None:
    fit = build_invoice_page(invoice(), fit_context(["1"], plan_fit_threshold=threshold)).plan_fit
    assert fit is not None and fit.fits is fits


def test_plans_billed_on_another_interval_or_not_on_sale_are_never_suggested() -> None:
    # The yearly plan (1 kr a year) would be "cheapest"; it is not comparable month by month. Without Max
    # on sale, a 10 GB user on Bas has no cheaper plan.
    fit = build_invoice_page(invoice(), fit_context(["10"], plans_on_sale=("mini", "bas"))).plan_fit
    assert fit is not None and fit.fits


def test_only_the_last_periods_count() -> None:
    # Given heavy use long ago and light use in the last two months, with plan_fit_periods=2
    fit = build_invoice_page(
        invoice(), fit_context(["10", "10", "10", "1", "1"], plan_fit_periods=2)
    ).plan_fit
    assert fit is not None and fit.suggested is not None and fit.suggested.plan_code == "mini"
    assert fit.periods_considered == 2


def test_no_plan_fit_without_usage_catalog_customer_or_a_known_plan() -> None:
    base = fit_context(["10"])
    assert build_invoice_page(invoice(), replace(base, catalog=None)).plan_fit is None
    assert build_invoice_page(invoice(), replace(base, customer=None)).plan_fit is None
    no_usage = replace(base, history=History(current_plan_code="bas"))
    assert build_invoice_page(invoice(), no_usage).plan_fit is None
    legacy = replace(base, history=History(usage=usage(["10"]), current_plan_code="gone"))
    assert build_invoice_page(invoice(), legacy).plan_fit is None


@settings(max_examples=60, deadline=None)
@given(
    gb=st.lists(st.integers(min_value=0, max_value=60).map(str), min_size=1, max_size=3),
    plan=st.sampled_from(["mini", "bas", "max"]),
    threshold=st.integers(min_value=0, max_value=200_000),
)
def test_plan_fit_never_suggests_a_plan_that_costs_more(gb: list[str], plan: str, threshold: int) -> None:
    fit = build_invoice_page(invoice(), fit_context(gb, plan, plan_fit_threshold=threshold)).plan_fit
    assert fit is not None
    if fit.suggested is not None:
        assert fit.suggested.cost_per_year < fit.current.cost_per_year
        assert fit.saving_per_year == fit.current.cost_per_year - fit.suggested.cost_per_year > threshold
        assert fit.suggested.plan_code != plan
    else:
        assert fit.fits


# --------------------------------------------------------------------------------------------------
# Tenure


def test_the_first_invoice_welcomes() -> None:
    tenure = build_invoice_page(invoice(), context(history=History(invoice_count=1))).tenure
    assert tenure is not None and tenure.moment == "first"


def test_an_anniversary_in_the_invoice_period_is_noticed() -> None:
    history = History(
        customer_since=date(2024, 11, 15), invoice_count=25, previous_invoices=monthly_history(3)
    )
    tenure = build_invoice_page(invoice(), context(history=history)).tenure
    assert tenure is not None and (tenure.moment, tenure.years) == ("anniversary", 2)


def test_a_long_time_customer_is_thanked_with_the_loyalty_benefit_earned() -> None:
    # Given a customer since March 2025 on their 21st invoice, and benefits after 1 and 3 years
    loyalty = (
        LoyaltyBenefit(1, LocalText({"sv": "10 % rabatt på tillbehör", "en": "10% off accessories"})),
        LoyaltyBenefit(3, LocalText.of("A free month")),
    )
    history = History(customer_since=date(2025, 3, 1), invoice_count=21, previous_invoices=monthly_history(2))
    tenure = build_invoice_page(
        invoice(), context(history=history, settings=with_settings(loyalty=loyalty))
    ).tenure
    # Then they are thanked, with the benefit of one year (not three), in their language
    assert tenure is not None
    assert tenure.moment == "loyal" and tenure.invoice_count == 21
    assert tenure.loyalty_benefit == "10 % rabatt på tillbehör"


def test_a_recent_customer_past_the_first_invoice_gets_no_tenure_block() -> None:
    history = History(customer_since=date(2026, 6, 1), invoice_count=5, previous_invoices=monthly_history(2))
    assert build_invoice_page(invoice(), context(history=history)).tenure is None


def test_the_23rd_invoice_reads_differently_from_the_1st() -> None:
    first = build_invoice_page(invoice(), context(history=History(customer_since=date(2026, 11, 1))))
    history = History(
        customer_since=date(2025, 1, 1), invoice_count=23, previous_invoices=monthly_history(22)
    )
    later = build_invoice_page(invoice(), context(history=history))
    assert first.tenure is not None and later.tenure is not None
    assert (first.tenure.moment, later.tenure.moment) == ("first", "loyal")
    assert first.chart is None and later.chart is not None


def test_a_price_change_is_explained_on_the_first_invoice_with_the_new_price_only() -> None:
    change = PriceChange(
        date(2026, 11, 1), LocalText.of("Our network costs rose; Bas is 10 kr more."), ("bas",)
    )
    s = with_settings(price_changes=(change,))
    october = invoice(period_start=date(2026, 10, 1), number=None)
    history = History(
        customer_since=date(2026, 6, 1),
        invoice_count=6,
        previous_invoices=(october,),
        current_plan_code="bas",
    )
    # When the November invoice (the first at the new price) is built
    tenure = build_invoice_page(invoice(), context(history=history, settings=s)).tenure
    assert tenure is not None and tenure.moment == "regular"
    assert tenure.price_change == "Our network costs rose; Bas is 10 kr more."
    assert tenure.price_change_date == date(2026, 11, 1)
    # Then December's invoice (previous one already had the new price) says nothing
    november = invoice(number=None)
    december = invoice(period_start=date(2026, 12, 1))
    later = History(
        customer_since=date(2026, 6, 1),
        invoice_count=7,
        previous_invoices=(october, november),
        current_plan_code="bas",
    )
    assert (
        build_invoice_page(december, context(history=later, settings=s, today=date(2026, 12, 2))).tenure
        is None
    )
    # And a customer on another plan is not told about it
    other = replace(history, current_plan_code="max")
    assert build_invoice_page(invoice(), context(history=other, settings=s)).tenure is None


# --------------------------------------------------------------------------------------------------
# Offers


def extra_data_offer(**kwargs: Any) -> OfferRule:
    values: dict[str, Any] = {
        "offer_id": "max-upgrade",
        "title": LocalText({"sv": "Mer data i Max", "en": "More data with Max"}),
        "body": LocalText.of("30 GB included."),
        "url": "https://nordljus.example/max",
        "charge_code": "extra",
        "min_periods": 2,
        "window": 3,
    }
    values.update(kwargs)
    return OfferRule(**values)


def _extra(start: date, bought: bool) -> Invoice:
    lines = [line("l1", "Mobil Bas", 19_900, charge_code="base")]
    if bought:
        lines.append(line("x", "Extra data 5 GB", 4_900, charge_code="extra"))
    return invoice(tuple(lines), period_start=start, number=None)


@pytest.mark.parametrize(("pattern", "shown"), [((True, False, True), True), ((False, False, True), False)])
def test_an_offer_applies_when_its_charge_was_bought_often_enough(
    pattern: tuple[bool, ...], shown: bool
) -> None:
    # Given extra data bought in some of the last three months (the last is this invoice)
    starts = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    invoices = [_extra(s, b) for s, b in zip(starts, pattern, strict=True)]
    ctx = context(
        history=History(previous_invoices=tuple(invoices[:-1])),
        settings=with_settings(offers=(extra_data_offer(),)),
    )
    view = build_invoice_page(invoices[-1], ctx)
    # Then the offer shows (with a click-recording link) only for 2 of 3
    assert bool(view.offers) is shown
    if shown:
        assert view.offers[0].click_url == f"{API}/v1/pages/{TOKEN}/offers/max-upgrade"
        assert view.offers[0].title == "Mer data i Max"


def test_too_little_history_is_no_ground_for_an_offer() -> None:
    ctx = context(settings=with_settings(offers=(extra_data_offer(min_periods=1),)))
    assert build_invoice_page(_extra(date(2026, 11, 1), True), ctx).offers == ()


def test_at_most_two_offers_in_the_tenants_order() -> None:
    rules = tuple(
        OfferRule(f"o{i}", LocalText.of(f"Offer {i}"), LocalText.of("..."), "https://x.example/")
        for i in range(4)
    )
    view = build_invoice_page(invoice(), context(settings=with_settings(offers=rules)))
    assert [o.offer_id for o in view.offers] == ["o0", "o1"]


def test_never_an_offer_on_an_overdue_invoice() -> None:
    rules = (OfferRule("o", LocalText.of("Offer"), LocalText.of("..."), "https://x.example/"),)
    view = build_invoice_page(
        invoice(), context(today=date(2026, 12, 15), settings=with_settings(offers=rules))
    )
    assert view.summary.status == "overdue"
    assert view.offers == ()


def test_offers_and_announcements_follow_their_segment() -> None:
    business_only = Segment(business=True)
    rules = (
        OfferRule(
            "b2b", LocalText.of("Företag"), LocalText.of("..."), "https://x.example/", segment=business_only
        ),
    )
    ctx = context(settings=with_settings(offers=rules), customer=CUSTOMER)
    assert build_invoice_page(invoice(), ctx).offers == ()
    ctx = context(settings=with_settings(offers=rules), customer=replace(CUSTOMER, is_business=True))
    assert [o.offer_id for o in build_invoice_page(invoice(), ctx).offers] == ["b2b"]


def test_an_offer_with_a_bad_url_or_window_is_refused() -> None:
    with pytest.raises(PageError):
        extra_data_offer(url="javascript:alert(1)")
    with pytest.raises(PageError):
        extra_data_offer(min_periods=4)


# --------------------------------------------------------------------------------------------------
# Poll, announcements, autopay


def test_the_poll_offers_the_tenants_scale_and_thanks_once_answered() -> None:
    poll = Poll("nps", LocalText({"sv": "Skulle du rekommendera oss?", "en": "Would you recommend us?"}))
    view = build_invoice_page(invoice(language="en"), context(settings=with_settings(poll=poll)))
    assert view.poll is not None
    assert view.poll.question == "Would you recommend us?"
    assert view.poll.scores == tuple(range(11))
    assert view.poll.form_url == f"{API}/v1/pages/{TOKEN}/feedback"
    assert view.poll.answered_score is None
    answered = build_invoice_page(
        invoice(), context(settings=with_settings(poll=poll), state=InvoiceState(feedback_score=9))
    )
    assert answered.poll is not None and answered.poll.answered_score == 9
    assert build_invoice_page(invoice(), context()).poll is None


def test_announcements_show_inside_their_dates_and_segment_at_most_three() -> None:
    def ann(i: int, **kw: Any) -> Announcement:
        return Announcement(f"a{i}", LocalText.of(f"News {i}"), LocalText.of("..."), **kw)

    items = (
        ann(0, starts=date(2026, 12, 1)),  # not yet
        ann(1, ends=date(2026, 10, 31)),  # over
        ann(2, segment=Segment(plan_codes=("max",))),  # another plan
        ann(3, segment=Segment(languages=("sv",))),
        ann(4, starts=date(2026, 11, 1), ends=date(2026, 11, 2)),
        ann(5),
        ann(6),
    )
    history = History(current_plan_code="bas")
    view = build_invoice_page(
        invoice(), context(settings=with_settings(announcements=items), history=history)
    )
    assert [a.announcement_id for a in view.announcements] == ["a3", "a4", "a5"]


def test_automatic_payment_is_offered_until_the_customer_has_it() -> None:
    links = PageLinks(token=TOKEN, page_url=PAGE, api_base=API, autopay_url=f"{API}/v1/pages/{TOKEN}/autopay")
    view = build_invoice_page(invoice(), replace(context(), links=links))
    assert view.autopay is not None and view.autopay.url == f"{API}/v1/pages/{TOKEN}/autopay"
    active = replace(context(state=InvoiceState(autopay_active=True)), links=links)
    assert build_invoice_page(invoice(), active).autopay is None
    assert build_invoice_page(invoice(), context()).autopay is None  # no entry point configured
    off = replace(context(settings=with_settings(autopay_offered=False)), links=links)
    assert build_invoice_page(invoice(), off).autopay is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"plan_fit_threshold": -1}, "plan_fit_threshold"),
        ({"plan_fit_periods": 0}, "plan_fit_periods"),
        ({"loyal_after_months": 0}, "loyal_after_months"),
    ],
)
def test_bad_page_settings_are_refused_by_field(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(PageError) as err:
        with_settings(**kwargs)
    assert err.value.field == field


def test_local_text_falls_back_to_another_language_and_refuses_emptiness() -> None:
    assert LocalText({"en": "Hi"}).text("sv") == "Hi"
    with pytest.raises(PageError):
        LocalText({"sv": " "})


# --------------------------------------------------------------------------------------------------
# The last reminder


def _reminder(**relief: Any) -> ReminderMessage:
    return build_reminder_message(
        invoice_id="inv_x",
        tone=Tone.FRIENDLY,
        currency="SEK",
        amount_minor=32_300,
        due_date_iso="2026-11-30",
        fee_minor=6_000,
        interest_minor=None,
        relief=ReliefOffer(**relief),
    )


def test_an_unpaid_invoice_shows_the_last_reminder_without_relief_the_page_cannot_give() -> None:
    # Given a reminder that offers to move the due date (which this page cannot do)
    state = InvoiceState(
        reminder=_reminder(latest_due_date_iso="2026-12-20"), reminder_sent_on=date(2026, 12, 8)
    )
    view = build_invoice_page(invoice(), context(today=date(2026, 12, 9), state=state))
    # Then the reminder shows, dated, without the relief paragraph
    assert view.reminder is not None
    assert view.reminder.sent_on == date(2026, 12, 8)
    assert "dunning.reminder.fee" in view.reminder.body_keys
    assert not any("relief" in k for k in view.reminder.body_keys)


def test_a_paid_invoice_shows_no_reminder() -> None:
    state = InvoiceState(reminder=_reminder(), amount_paid=32_300)
    assert build_invoice_page(invoice(), context(state=state)).reminder is None


def test_tiered_lines_of_one_charge_are_one_change_under_the_charges_name() -> None:
    # Given a graduated data charge printed as two tier lines, 12 GB last month and 10 GB now
    def tiers(total: int, start: date) -> Invoice:
        over = total - 3
        lines = (
            line("t1", "Surf (0–3 GB)", 0, kind="usage", quantity="3", unit="GB", charge_code="data"),
            line(
                "t2",
                "Surf (3– GB)",
                over * 3_120,
                kind="usage",
                quantity=str(over),
                unit="GB",
                charge_code="data",
            ),
        )
        return invoice(lines, period_start=start, number=None)

    previous = tiers(12, date(2026, 10, 1))
    changes = build_invoice_page(
        tiers(10, date(2026, 11, 1)), context(history=History(previous_invoices=(previous,)))
    ).changes
    # Then one change names the charge, with the total quantities
    assert changes is not None
    (change,) = changes.changes
    assert (change.description, change.previous_quantity, change.quantity) == (
        "Surf",
        Decimal(12),
        Decimal(10),
    )


@pytest.mark.parametrize(
    ("descriptions", "name"),
    [
        (["Surf (0–3 GB)", "Surf (3– GB)"], "Surf"),
        (["Mobildata"], "Mobildata"),
        (["Mobildata", "Mobildata"], "Mobildata"),
        (["Extra data (5 GB)"], "Extra data (5 GB)"),
        (["Abc", "Xyz"], "Abc"),
    ],
)
def test_one_name_for_the_lines_of_one_charge(descriptions: list[str], name: str) -> None:
    assert charge_name(descriptions) == name


def test_yearly_plan_costs_are_estimates_in_whole_kronor() -> None:
    # Given 1.37 GB in one month: Bas 266,13 kr, Mini 234,63 kr a month
    fit = build_invoice_page(invoice(), fit_context(["1.37"])).plan_fit
    # Then the yearly figures are rounded to whole kronor, and the saving is their difference
    assert fit is not None and fit.suggested is not None
    assert (fit.current.cost_per_year, fit.suggested.cost_per_year) == (319_400, 281_600)
    assert fit.saving_per_year == 37_800
