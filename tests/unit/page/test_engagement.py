"""The engagement figures a tenant gets from `billing report engagement`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.domain.page import PageError
from billing.domain.page.engagement import InvoiceEngagement, Rate, engagement_report, format_report

SENT = datetime(2026, 11, 1, 8, tzinfo=UTC)


def record(i: int, **kwargs: object) -> InvoiceEngagement:
    return InvoiceEngagement(invoice_id=f"inv_{i}", sent_at=SENT, **kwargs)  # type: ignore[arg-type]


def test_rates_medians_and_feedback_over_a_tenants_invoices() -> None:
    # Given four invoices: two viewed (one asked, one clicked an offer and answered the poll), three paid
    records = [
        record(
            1,
            view_count=3,
            first_viewed_at=SENT + timedelta(hours=2),
            questions=1,
            offers_shown=True,
            paid_at=SENT + timedelta(days=3),
        ),
        record(
            2,
            view_count=1,
            first_viewed_at=SENT + timedelta(hours=6),
            offer_clicks=1,
            offers_shown=True,
            feedback_score=10,
            paid_at=SENT + timedelta(days=1),
        ),
        record(3, offers_shown=True, paid_at=SENT + timedelta(days=29)),
        record(4, offers_shown=False),
    ]
    # When the report is made
    report = engagement_report(records)
    # Then each figure counts what it says
    assert report.invoices == 4
    assert report.view_rate == Rate(2, 4) and report.view_rate.percent == Decimal("50.0")
    assert report.median_time_to_first_view == timedelta(hours=4)
    assert report.paid == Rate(3, 4)
    assert report.median_time_to_pay == timedelta(days=3)
    assert report.question_rate == Rate(1, 4)
    assert report.offer_click_rate == Rate(1, 3)  # invoice 4 showed no offer
    assert report.feedback == Rate(1, 2)
    assert report.average_score == Decimal("10.0")
    assert report.net_promoter_score == 100
    assert report.views_per_viewed_invoice == Decimal("2.0")


def test_net_promoter_score_counts_promoters_minus_detractors() -> None:
    scores = [10, 9, 8, 7, 6, 0]
    records = [record(i, view_count=1, first_viewed_at=SENT, feedback_score=s) for i, s in enumerate(scores)]
    report = engagement_report(records)
    assert report.net_promoter_score == 0  # 2 promoters, 2 detractors of 6
    assert report.average_score == Decimal("6.7")


def test_unrecorded_offers_count_for_viewed_pages_only() -> None:
    records = [record(1, view_count=1, first_viewed_at=SENT, offer_clicks=2), record(2)]
    assert engagement_report(records).offer_click_rate == Rate(1, 1)


def test_an_empty_period_has_no_rates_rather_than_zero() -> None:
    report = engagement_report([])
    assert report.view_rate.percent is None
    assert report.median_time_to_pay is None and report.net_promoter_score is None
    assert "View rate" in format_report(report)


def test_the_printed_report_has_one_figure_per_line() -> None:
    records = [
        record(1, view_count=2, first_viewed_at=SENT + timedelta(hours=1), paid_at=SENT + timedelta(days=4))
    ]
    text = format_report(engagement_report(records))
    assert "View rate                    100.0% (1 of 1)" in text
    assert "Time to first view (median)  1.0 h" in text
    assert "Time to pay (median)         4.0 days" in text


def test_naive_times_and_views_without_a_first_view_are_refused() -> None:
    with pytest.raises(PageError):
        InvoiceEngagement("inv_1", datetime(2026, 11, 1))
    with pytest.raises(PageError):
        record(1, view_count=1)
