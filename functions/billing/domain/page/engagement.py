"""What customers did with their invoice pages: the figures behind `billing report engagement`.

Per invoice the stores record first and last view, view count, questions, the poll answer, offer
clicks and when it was paid; `engagement_report` turns a tenant's invoices of a period into view rate,
time to first view, time to pay, question rate, offer click rate and feedback. Pure: the caller loads
the records and prints `format_report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from billing.domain.page.context import PageError


@dataclass(frozen=True)
class InvoiceEngagement:
    """One invoice's page activity. `sent_at` is when the customer got the link (the email)."""

    invoice_id: str
    sent_at: datetime
    view_count: int = 0
    first_viewed_at: datetime | None = None
    last_viewed_at: datetime | None = None
    questions: int = 0
    feedback_score: int | None = None
    offer_clicks: int = 0
    offers_shown: bool | None = None  # None: not recorded (the page may or may not have had offers)
    paid_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("sent_at", "first_viewed_at", "last_viewed_at", "paid_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise PageError(f"{self.invoice_id}.{name}", "must be timezone-aware")
        if self.view_count < 0 or self.questions < 0 or self.offer_clicks < 0:
            raise PageError(f"{self.invoice_id}", "counts must not be negative")
        if self.view_count > 0 and self.first_viewed_at is None:
            raise PageError(f"{self.invoice_id}.first_viewed_at", "a viewed invoice has a first view")


@dataclass(frozen=True)
class Rate:
    """`part` of `whole`; `percent` is None when there is nothing to divide by."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        if self.whole == 0:
            return None
        return (Decimal(100 * self.part) / self.whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class EngagementReport:
    invoices: int
    view_rate: Rate  # invoices viewed at least once
    median_time_to_first_view: timedelta | None
    median_time_to_pay: timedelta | None  # from the link being sent to payment
    paid: Rate
    question_rate: Rate  # invoices with at least one question
    offer_click_rate: Rate  # invoices with a click, of those whose page showed offers (or was viewed)
    feedback: Rate  # invoices whose poll was answered, of viewed ones
    average_score: Decimal | None
    net_promoter_score: int | None  # % scoring 9-10 minus % scoring 0-6, on a 0-10 poll
    views_per_viewed_invoice: Decimal | None


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def engagement_report(records: Iterable[InvoiceEngagement]) -> EngagementReport:
    items = list(records)
    viewed = [r for r in items if r.view_count > 0]
    paid = [r for r in items if r.paid_at is not None]
    # A page whose offers were not recorded counts when it was viewed: the customer could have clicked.
    could_click = [r for r in items if r.offers_shown or (r.offers_shown is None and r.view_count > 0)]
    scores = [r.feedback_score for r in items if r.feedback_score is not None]
    first_views = [r.first_viewed_at - r.sent_at for r in viewed if r.first_viewed_at is not None]
    pay_times = [r.paid_at - r.sent_at for r in paid if r.paid_at is not None]
    nps = None
    if scores and all(0 <= s <= 10 for s in scores):
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        nps = int((Decimal(100 * (promoters - detractors)) / len(scores)).to_integral_value(ROUND_HALF_UP))
    return EngagementReport(
        invoices=len(items),
        view_rate=Rate(len(viewed), len(items)),
        median_time_to_first_view=_median([max(d, timedelta(0)) for d in first_views]),
        median_time_to_pay=_median([max(d, timedelta(0)) for d in pay_times]),
        paid=Rate(len(paid), len(items)),
        question_rate=Rate(sum(r.questions > 0 for r in items), len(items)),
        offer_click_rate=Rate(sum(r.offer_clicks > 0 for r in could_click), len(could_click)),
        feedback=Rate(len(scores), len(viewed)),
        average_score=(Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if scores
        else None,
        net_promoter_score=nps,
        views_per_viewed_invoice=(Decimal(sum(r.view_count for r in viewed)) / len(viewed)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        if viewed
        else None,
    )


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _rate(rate: Rate) -> str:
    percent = rate.percent
    return f"{percent}% ({rate.part} of {rate.whole})" if percent is not None else f"- (0 of {rate.whole})"


def format_report(report: EngagementReport, title: str = "Invoice page engagement") -> str:
    """The report as the operator CLI prints it: one figure per line."""
    rows = [
        ("Invoices", str(report.invoices)),
        ("View rate", _rate(report.view_rate)),
        ("Time to first view (median)", _duration(report.median_time_to_first_view)),
        ("Views per viewed invoice", str(report.views_per_viewed_invoice or "-")),
        ("Paid", _rate(report.paid)),
        ("Time to pay (median)", _duration(report.median_time_to_pay)),
        ("Question rate", _rate(report.question_rate)),
        ("Offer click rate", _rate(report.offer_click_rate)),
        ("Feedback answers", _rate(report.feedback)),
        ("Average score", str(report.average_score if report.average_score is not None else "-")),
        (
            "Net promoter score",
            str(report.net_promoter_score if report.net_promoter_score is not None else "-"),
        ),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join([title, "", *(f"{label:<{width}}  {value}" for label, value in rows)]) + "\n"
