"""The honest exit's page (issue 18): reached in two steps from the invoice page (its link, then this
page's one button), it says when the subscription ends, what the last invoice will be (computed by the
engine's cancellation preview), and the cheaper plan that fits the customer's own usage if there is
one (the page's plan-fit advice). One screen, no more retention than that. Pure view-model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from billing.domain.catalog import Subscription
from billing.domain.page.view import PlanFitView
from billing.domain.pauses import PausePolicy, current_pause, offered_pauses
from billing.domain.periods import Interval


@dataclass(frozen=True)
class PauseOption:
    """One pause the merchant allows: `months` long, no fee from `first_day`, back on `resumes_on`."""

    months: int
    first_day: date
    resumes_on: date


@dataclass(frozen=True)
class ExitView:
    language: str
    brand: str
    colour: str
    customer_name: str
    currency: str
    page_url: str  # back to the invoice
    confirm_url: str
    # Before: the last day of service if they cancel now (the current period's last day). After: the
    # last day of service they have.
    last_day: date
    ended: bool  # the subscription is cancelled already (this page then confirms it)
    last_invoice_total: int | None = None  # minor units incl. VAT: the fees and credits still to bill
    cheaper_plan: str | None = None
    cheaper_saving_per_year: int = 0  # as the reader is shown it (incl. VAT for a consumer)
    incl_vat: bool = True
    usage_so_far: int | None = None  # this period's usage up to now, as shown (the last invoice bills it)
    # The pause where the merchant allows one (billing.domain.pauses): the choices, posted to
    # `pause_url`; or the pause already taken (no fee from `paused_from`, back on `resumes_on`).
    pause_url: str = ""
    pause_options: tuple[PauseOption, ...] = ()
    paused_from: date | None = None
    resumes_on: date | None = None


def build_exit_view(
    *,
    language: str,
    brand: str,
    colour: str,
    customer_name: str,
    currency: str,
    page_url: str,
    confirm_url: str,
    end_date: date,
    ended: bool,
    last_invoice_total: int | None,
    plan_fit: PlanFitView | None,
    incl_vat: bool,
) -> ExitView:
    """`end_date`: the first day without service (as the subscription stores it)."""
    cheaper = None
    saving = 0
    if not ended and plan_fit is not None and not plan_fit.fits and plan_fit.suggested is not None:
        cheaper = plan_fit.suggested.plan_name
        saving = plan_fit.shown_saving_per_year or plan_fit.saving_per_year
    return ExitView(
        language=language if language in ("sv", "en") else "en",
        brand=brand,
        colour=colour,
        customer_name=customer_name,
        currency=currency,
        page_url=page_url,
        confirm_url=confirm_url,
        last_day=end_date - timedelta(days=1),
        ended=ended,
        last_invoice_total=last_invoice_total,
        cheaper_plan=cheaper if saving > 0 else None,
        cheaper_saving_per_year=saving if cheaper else 0,
        incl_vat=incl_vat,
    )


def with_pause(
    view: ExitView,
    subscription: Subscription,
    interval: Interval,
    today: date,
    policy: PausePolicy | None,
    pause_url: str,
) -> ExitView:
    """The page's pause: the one taken (running or to come), else the ones the merchant allows today."""
    taken = current_pause(subscription, today)
    if taken is not None:
        return replace(view, paused_from=taken.start, resumes_on=taken.end)
    if view.ended:
        return view
    options = tuple(
        PauseOption(c.months, c.pause.start, c.pause.end)
        for c in offered_pauses(subscription, interval, today, policy)
    )
    return replace(view, pause_url=pause_url if options else "", pause_options=options)
