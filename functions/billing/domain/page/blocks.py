"""The personal blocks of the invoice page, one function each; None (or empty) when nothing is true.

Each block speaks only from facts it was given: the chart and "why it differs" from earlier invoices,
plan fit from re-pricing the customer's own usage with the pricing engine, tenure from the customer's
start date and invoice count, offers and announcements from the tenant's rules. A block that would
have to guess is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from billing.domain.catalog import Plan
from billing.domain.invoice import CREDIT_NOTE, Invoice
from billing.domain.money import round_minor, round_to_major
from billing.domain.page.chart import ChartView, build_chart, charge_name
from billing.domain.page.context import PageContext, PriceChange, Segment
from billing.domain.page.prices import PriceBasis
from billing.domain.page.view import (
    AnnouncementView,
    AutopayView,
    CauseView,
    ChangesView,
    ChangeView,
    OfferView,
    PageStatus,
    PlanCostView,
    PlanFitView,
    PollView,
    ReminderView,
    SummaryView,
    TenureView,
)
from billing.domain.pricing import Repricing
from billing.domain.pricing_errors import ScenarioError

MAX_CHANGES = 3
MIN_CHANGE = 100  # minor units: a change below one krona is not worth a sentence
MAX_OFFERS = 2
MAX_ANNOUNCEMENTS = 3
EXCL_VAT = PriceBasis(incl_vat=False)


def sorted_history(invoice: Invoice, context: PageContext) -> tuple[Invoice, ...]:
    """Earlier invoices of the customer (not this one, no credit notes), oldest first."""
    earlier = [
        x
        for x in context.history.previous_invoices
        if x.invoice_id != invoice.invoice_id and x.kind != CREDIT_NOTE and x.issue_date <= invoice.issue_date
    ]
    return tuple(sorted(earlier, key=lambda x: (x.issue_date, x.invoice_id)))


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when end < start)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


# --------------------------------------------------------------------------------------------------
# 2. What you paid for: the chart


def chart(
    invoice: Invoice, history: tuple[Invoice, ...], basis: PriceBasis | None = None
) -> ChartView | None:
    if invoice.kind == CREDIT_NOTE:
        return None
    return build_chart(invoice, history, incl_vat=basis is None or basis.incl_vat)


# --------------------------------------------------------------------------------------------------
# 3. Why this bill differs from the last


def _line_key(kind: str, charge_code: str | None, description: str) -> str:
    return f"{kind}:{charge_code}" if charge_code else f"{kind}:{description}"


def _by_key(invoice: Invoice, basis: PriceBasis) -> dict[str, tuple[list[str], int, str, Decimal | None]]:
    """key -> (descriptions, amount as shown, unit, quantity) summed over the invoice's lines of that key."""
    result: dict[str, tuple[list[str], int, str, Decimal | None]] = {}
    for line in invoice.lines:
        key = _line_key(line.kind, line.charge_code, line.description)
        quantity = Decimal(line.quantity) if line.kind == "usage" else None
        shown = basis.amount(line.amount, line.vat_rate)
        if key in result:
            names, amount, unit, qty = result[key]
            summed = qty + quantity if qty is not None and quantity is not None else None
            result[key] = ([*names, line.description], amount + shown, unit, summed)
        else:
            result[key] = ([line.description], shown, line.unit, quantity)
    return result


def changes(
    invoice: Invoice, history: tuple[Invoice, ...], basis: PriceBasis = EXCL_VAT
) -> ChangesView | None:
    """The largest line changes since the previous invoice; None when the total did not change."""
    periodic = [x for x in history if x.kind == invoice.kind]
    if invoice.kind == CREDIT_NOTE or not periodic:
        return None
    previous = periodic[-1]
    if previous.total == invoice.total:
        return None
    before, now = _by_key(previous, basis), _by_key(invoice, basis)
    found: list[ChangeView] = []
    for key in [*now, *[k for k in before if k not in now]]:
        desc_now = now.get(key)
        desc_before = before.get(key)
        amount_now = desc_now[1] if desc_now else 0
        amount_before = desc_before[1] if desc_before else 0
        if abs(amount_now - amount_before) < MIN_CHANGE:
            continue
        if desc_before is None:
            kind = "new"
        elif desc_now is None:
            kind = "gone"
        else:
            kind = "more" if amount_now > amount_before else "less"
        names = (desc_now[0] if desc_now else []) + (desc_before[0] if desc_before else [])
        unit = desc_now[2] if desc_now else desc_before[2] if desc_before else ""
        found.append(
            ChangeView(
                kind=kind,
                description=charge_name(names),
                previous_amount=amount_before,
                amount=amount_now,
                previous_quantity=desc_before[3] if desc_before else None,
                quantity=desc_now[3] if desc_now else None,
                unit=unit,
            )
        )
    if not found:
        return None
    found.sort(key=lambda c: (-abs(c.difference), c.description))
    return ChangesView(
        previous_total=previous.total,
        previous_issue_date=previous.issue_date,
        changes=tuple(found[:MAX_CHANGES]),
    )


# --------------------------------------------------------------------------------------------------
# 4. Plan fit


def _comparable(current: Plan, plans: Sequence[Plan]) -> list[Plan]:
    # Only plans billed the same way: a yearly plan's price is not comparable month by month here.
    return [p for p in plans if p.currency == current.currency and p.interval == current.interval]


def plan_fit(invoice: Invoice, context: PageContext, basis: PriceBasis = EXCL_VAT) -> PlanFitView | None:
    """Re-price the customer's recent usage under every plan on sale; suggest a cheaper plan only
    when it saves more than the tenant's threshold per year. Never suggests a dearer plan: the
    suggestion is the cheapest plan, and only when it is cheaper than the current one."""
    history, settings, catalog, customer = (
        context.history,
        context.settings,
        context.catalog,
        context.customer,
    )
    code = history.current_plan_code
    if catalog is None or customer is None or code is None or code not in catalog.plans:
        return None
    if invoice.kind == CREDIT_NOTE:
        return None
    periods = sorted(history.usage, key=lambda u: u.period.start)[-settings.plan_fit_periods :]
    if not periods:
        return None
    current = catalog.plans[code]
    # Each plan's version on sale on the invoice's day (docs/price-changes.md), by its first code.
    on_sale = [
        p
        for p in catalog.on_sale(invoice.issue_date).values()
        if not settings.plans_on_sale or p.base_code in settings.plans_on_sale
    ]
    candidates = [p for p in _comparable(current, on_sale) if p.base_code != current.base_code]
    if not candidates:
        return None
    per_year = 12 // current.interval.months

    usage = Repricing(usage=[(u.period, u.events) for u in periods], customer=customer, catalog=catalog)

    def yearly(plan: Plan) -> int | None:
        try:
            total = usage.total(plan)
        except ScenarioError:
            return None  # a plan the engine cannot price for this usage is not advice we can give
        # A yearly estimate is "about": whole kronor (major units), rounded half up. Rounding is
        # monotonic, so a plan that is cheaper after rounding was cheaper before it.
        return round_to_major(round_minor(Decimal(total * per_year) / len(periods)), current.currency)

    current_cost = yearly(current)
    if current_cost is None:
        return None
    current_view = PlanCostView(current.code, current.name, current_cost)
    costs = [(c, p) for p in candidates if (c := yearly(p)) is not None]
    if not costs:
        return None
    best_cost, best = min(costs, key=lambda cp: (cp[0], cp[1].code))
    saving = current_cost - best_cost
    if saving > settings.plan_fit_threshold:
        return PlanFitView(
            fits=False,
            current=current_view,
            suggested=PlanCostView(best.code, best.name, best_cost),
            saving_per_year=saving,
            periods_considered=len(periods),
            # Whole kronor again after adding VAT: an estimate claims no öre.
            shown_saving_per_year=round_to_major(basis.amount(saving), current.currency),
            incl_vat=basis.incl_vat,
        )
    return PlanFitView(
        fits=True,
        current=current_view,
        suggested=None,
        saving_per_year=0,
        periods_considered=len(periods),
        incl_vat=basis.incl_vat,
    )


# --------------------------------------------------------------------------------------------------
# 5. Tenure


def _anniversary_years(since: date, invoice: Invoice) -> int:
    """k >= 1 when the k-th anniversary of `since` falls in this invoice's period (or, without a
    period, within a month before its issue date); else 0."""
    if invoice.period is not None:
        start, end = invoice.period.start, invoice.period.end
    else:
        start = date.fromordinal(invoice.issue_date.toordinal() - 30)
        end = date.fromordinal(invoice.issue_date.toordinal() + 1)
    for year in range(start.year, end.year + 1):
        k = year - since.year
        if k < 1:
            continue
        day = min(since.day, 28) if since.month == 2 and since.day == 29 else since.day
        anniversary = date(year, since.month, day)
        if start <= anniversary < end:
            return k
    return 0


def _price_change(invoice: Invoice, context: PageContext, history: tuple[Invoice, ...]) -> PriceChange | None:
    # Explained on the first invoice carrying the new price: its period starts on or after the change
    # and the previous invoice's did not. A new customer never saw the old price, so nothing to explain.
    if not history:
        return None
    key = invoice.period.start if invoice.period else invoice.issue_date
    previous = history[-1]
    previous_key = previous.period.start if previous.period else previous.issue_date
    plan = context.history.current_plan_code
    for change in sorted(context.settings.price_changes, key=lambda c: c.effective_from, reverse=True):
        if change.plan_codes and plan not in change.plan_codes:
            continue
        if previous_key < change.effective_from <= key:
            return change
    return None


def tenure(
    invoice: Invoice, context: PageContext, language: str, history: tuple[Invoice, ...] = ()
) -> TenureView | None:
    if invoice.kind == CREDIT_NOTE:
        return None
    since = context.history.customer_since
    count = context.history.invoice_count
    months = months_between(since, context.today) if since else 0
    years = months // 12
    change = _price_change(invoice, context, history)
    if count <= 1:
        moment = "first"
    elif since is not None and (k := _anniversary_years(since, invoice)):
        moment, years = "anniversary", k
    elif since is not None and months >= context.settings.loyal_after_months:
        moment = "loyal"
    else:
        moment = "regular"
    benefit = None
    if moment in ("anniversary", "loyal"):
        earned = [b for b in context.settings.loyalty if b.after_years <= years]
        if earned:
            benefit = max(earned, key=lambda b: b.after_years).text.text(language)
    if moment == "regular" and change is None:
        return None
    return TenureView(
        moment=moment,
        invoice_count=count,
        years=years,
        customer_since=since,
        loyalty_benefit=benefit,
        price_change=change.text.text(language) if change else None,
        price_change_date=change.effective_from if change else None,
    )


# --------------------------------------------------------------------------------------------------
# 6. Offers and 9. announcements: tenant rules over segments and history


def in_segment(segment: Segment, invoice: Invoice, context: PageContext, language: str) -> bool:
    customer = context.customer
    since = context.history.customer_since
    months = months_between(since, context.today) if since else 0
    checks = [
        not segment.plan_codes or context.history.current_plan_code in segment.plan_codes,
        not segment.languages or language in segment.languages,
        not segment.countries or invoice.buyer.country in segment.countries,
        segment.min_tenure_months is None or (since is not None and months >= segment.min_tenure_months),
        segment.max_tenure_months is None or months <= segment.max_tenure_months,
        segment.business is None or (customer is not None and customer.is_business == segment.business),
        not segment.postcodes or _in_region(invoice.buyer.address, segment.postcodes),
    ]
    return all(checks)


_POSTCODE = re.compile(r"\b(\d{3})\s?(\d{2})\b")


def _in_region(address: tuple[str, ...], postcodes: tuple[str, ...]) -> bool:
    """The buyer's address holds a postal code ("903 26 Umeå") starting with one of `postcodes`."""
    codes = ["".join(m.groups()) for line in address for m in _POSTCODE.finditer(line)]
    return any(code.startswith(prefix.replace(" ", "")) for code in codes for prefix in postcodes)


def _monthly_fee(plan: Plan) -> tuple[int, str] | None:
    """A plan's flat fee per period and its VAT rate, for an offer's price."""
    fees = [c for c in plan.charges if c.is_recurring_fee]
    if not fees:
        return None
    rate = fees[0].vat_rate
    return sum(c.amount for c in fees), (str(rate) if rate is not None else "")


def _bought(invoice: Invoice, charge_code: str) -> bool:
    return any(x.charge_code == charge_code and x.amount > 0 for x in invoice.lines)


def offers(
    invoice: Invoice, context: PageContext, history: tuple[Invoice, ...], basis: PriceBasis = EXCL_VAT
) -> tuple[OfferView, ...]:
    """At most two offers whose rules hold, in the tenant's order (the caller skips overdue pages).
    An offer for a plan carries the plan's fee as the reader is shown it (incl. VAT for a consumer)."""
    language = invoice.language
    recent = [*history, invoice]
    chosen: list[OfferView] = []
    for rule in context.settings.offers:
        if len(chosen) == MAX_OFFERS:
            break
        if not in_segment(rule.segment, invoice, context, language):
            continue
        if rule.charge_code is not None:
            window = recent[-rule.window :]
            if len(window) < rule.window:
                continue  # too little history to claim "2 of the last 3 months"
            if sum(_bought(x, rule.charge_code) for x in window) < rule.min_periods:
                continue
        plan = context.catalog.plans.get(rule.plan_code) if context.catalog and rule.plan_code else None
        fee = _monthly_fee(plan) if plan is not None else None
        chosen.append(
            OfferView(
                offer_id=rule.offer_id,
                title=rule.title.text(language),
                body=rule.body.text(language),
                click_url=context.links.api(f"offers/{rule.offer_id}"),
                plan_code=rule.plan_code,
                plan_name=plan.name if plan else None,
                monthly_price=basis.amount(fee[0], fee[1] or None) if fee else None,
                incl_vat=basis.incl_vat,
            )
        )
    return tuple(chosen)


def announcements(invoice: Invoice, context: PageContext, language: str) -> tuple[AnnouncementView, ...]:
    today = context.today
    # Shown from `starts` (inclusive) to `ends`; a tenant may announce ahead with `starts` in the
    # past and a date in the text, so the page states the dates itself: "from" or "since".
    shown = [
        AnnouncementView(
            a.announcement_id,
            a.title.text(language),
            a.body.text(language),
            starts=a.starts,
            ends=a.ends,
            started=a.starts is None or a.starts <= today,
            plan_code=a.plan_code,
        )
        for a in context.settings.announcements
        if (a.starts is None or a.starts <= today)
        and (a.ends is None or today <= a.ends)
        and in_segment(a.segment, invoice, context, language)
    ]
    return tuple(shown[:MAX_ANNOUNCEMENTS])


def causes(context: PageContext, language: str) -> tuple[CauseView, ...]:
    return tuple(
        CauseView(c.cause_id, c.title.text(language), c.body.text(language), c.url)
        for c in context.settings.causes
    )


# --------------------------------------------------------------------------------------------------
# The last reminder, while the invoice is still unpaid

# Relief (moving the due date, instalments) is chosen on a page that does not offer it yet: saying
# "you can do it right on the invoice page" would not be true here, so those paragraphs are left out.
_NOT_ON_PAGE = ("dunning.reminder.relief.",)


def reminder(context: PageContext, summary: SummaryView) -> ReminderView | None:
    message = context.state.reminder
    if message is None or summary.status not in (PageStatus.UNPAID, PageStatus.OVERDUE):
        return None
    keys = tuple(k for k in message.body_keys if not k.startswith(_NOT_ON_PAGE))
    return ReminderView(sent_on=context.state.reminder_sent_on, body_keys=keys, params=message.params)


# --------------------------------------------------------------------------------------------------
# 8. Feedback poll, 10. automatic payment


def poll(context: PageContext, language: str) -> PollView | None:
    settings = context.settings.poll
    if settings is None:
        return None
    first = 0 if settings.from_zero else 1
    return PollView(
        poll_id=settings.poll_id,
        question=settings.question.text(language),
        scores=tuple(range(first, settings.scale + 1)),
        form_url=context.links.api("feedback"),
        answered_score=context.state.feedback_score,
    )


def autopay(invoice: Invoice, context: PageContext, summary: SummaryView) -> AutopayView | None:
    """The way into the mandate flows, for customers who do not pay automatically yet."""
    links = context.links
    choices = links.autopay_choices or ((("card", links.autopay_url),) if links.autopay_url else ())
    if not choices or not context.settings.autopay_offered or context.state.autopay_active:
        return None
    if summary.status in (PageStatus.CREDIT, PageStatus.DEBIT_SCHEDULED, PageStatus.AUTOPAY_PENDING):
        return None
    return AutopayView(url=links.autopay_url or choices[0][1], due_date=invoice.due_date, choices=choices)
