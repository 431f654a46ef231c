"""`billing report engagement --tenant T [--since YYYY-MM-DD]`: how customers use their invoice pages.

View rate, time to first view, time to pay, question rate and offer click rate over the tenant's
invoices whose email went out (since a date), from what the invoices table records per invoice; then,
per month (`--months N`, default 6), spend alerts set and fired, exits, pauses and undelivered emails
(billing.services.engagement_report).

`billing report deliveries --tenant T [--since YYYY-MM-DD]`: the emails SES reported undelivered
(bounced or complained about), with the invoice each was, newest last (docs/engagement.md).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import Any


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="reports for the tenant")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    engagement = kinds.add_parser("engagement", help="invoice page engagement")
    engagement.add_argument("--tenant", required=True)
    engagement.add_argument("--since", type=date.fromisoformat, default=None, help="emails sent on or after")
    engagement.add_argument("--months", type=int, default=6, help="months of the monthly table (to this one)")
    engagement.set_defaults(func=run_engagement)
    deliveries = kinds.add_parser("deliveries", help="emails SES reported undelivered")
    deliveries.add_argument("--tenant", required=True)
    deliveries.add_argument("--since", type=date.fromisoformat, default=None, help="reported on or after")
    deliveries.set_defaults(func=run_deliveries)


def run_engagement(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.models import InvoiceModel
    from billing.adapters.dynamo.page_activity import offer_clicks_of
    from billing.domain.page.engagement import InvoiceEngagement, engagement_report, format_report
    from billing.wiring.core import bind_tables

    bind_tables()
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=UTC) if args.since else None
    records = []
    # One tenant's partition, paginated by PynamoDB: a query, not a scan.
    for item in InvoiceModel.query(args.tenant):
        if item.email_sent_at is None or (since and item.email_sent_at < since):
            continue
        records.append(
            InvoiceEngagement(
                invoice_id=item.invoice_id,
                sent_at=item.email_sent_at,
                view_count=int(item.view_count or 0),
                first_viewed_at=item.first_viewed_at,
                last_viewed_at=item.last_viewed_at,
                questions=len(item.questions or []) + int(item.question_count or 0),
                feedback_score=(item.feedback or {}).get("score"),
                offer_clicks=sum(len(v) for v in (item.offer_clicks or {}).values())
                + offer_clicks_of(args.tenant, item.invoice_id),
                paid_at=item.paid_at,
            )
        )
    print(format_report(engagement_report(records), title=f"Invoice page engagement: {args.tenant}"))
    print()
    print(monthly_engagement(args.tenant, datetime.now(UTC).date(), max(1, min(args.months, 36))))
    return 0


def monthly_engagement(tenant_id: str, today: date, count: int) -> str:
    """The monthly rows, from every source: one more source is one more entry in `sources`."""
    from billing.services.engagement_report import (
        CountsSource,
        EngagementSource,
        PriceChangeSource,
        monthly_table,
    )
    from billing.wiring.engagement import engagement_counts
    from billing.wiring.price_change import price_changes

    first = today.replace(day=1)
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    sources: list[EngagementSource] = [CountsSource(engagement_counts()), PriceChangeSource(price_changes())]
    return monthly_table(tenant_id, f"{first:%Y-%m}", f"{today:%Y-%m}", sources)


def run_deliveries(args: argparse.Namespace) -> int:
    from billing.wiring.core import delivery_log, invoice_ledger

    since = datetime.combine(args.since or date(2000, 1, 1), datetime.min.time(), tzinfo=UTC)
    rows = list(delivery_log().undelivered(args.tenant, since, datetime.now(UTC) + timedelta(days=1)))
    print(f"Undelivered emails: {args.tenant}: {len(rows)}")
    for row in rows:
        stored = invoice_ledger().get(row.tenant_id, row.invoice_id)
        number = (stored.invoice.number if stored else None) or row.invoice_id
        print(f"  {row.at:%Y-%m-%d %H:%M}  {row.kind:<8}  invoice {number:<16}  {row.reason}")
    return 0
