"""`billing report engagement --tenant T [--since YYYY-MM-DD]`: how customers use their invoice pages.

View rate, time to first view, time to pay, question rate and offer click rate over the tenant's
invoices whose email went out (since a date), from what the invoices table records per invoice.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="reports for the tenant")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    engagement = kinds.add_parser("engagement", help="invoice page engagement")
    engagement.add_argument("--tenant", required=True)
    engagement.add_argument("--since", type=date.fromisoformat, default=None, help="emails sent on or after")
    engagement.set_defaults(func=run_engagement)


def run_engagement(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.models import InvoiceModel
    from billing.adapters.dynamo.page_activity import offer_clicks_of
    from billing.domain.page.engagement import InvoiceEngagement, engagement_report, format_report
    from billing.handlers.wiring import bind_tables

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
    return 0
