"""The customer's usage, downloaded from the invoice page by its link (`GET /v1/pages/{token}/usage`):
every usage event and every daily total behind their invoices, as CSV or JSON, one calendar month (in
the customer's timezone) at a time, for any month from the subscription's start to today.

The link names one invoice, the invoice names its customer, and everything read is keyed by that
tenant and customer: no parameter can reach another customer's data. Events come a page at a time
(at most PAGE_SIZE per answer, ordered by time; `next` names the rest), so memory stays bounded
however much a customer used; daily totals are at most a month's days times the metrics.
Columns: docs/engagement.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from billing.domain.periods import local_midnight, months_available
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoiceNotFound
from billing.services.ports import Clock, CustomerDirectory, StoredInvoices

PAGE_SIZE = 1000
KINDS = ("events", "daily")
FORMATS = ("csv", "json")
EVENT_COLUMNS = ("id", "metric", "timestamp", "value", "properties")
DAILY_COLUMNS = ("day", "metric", "total", "events")
_MONTH = re.compile(r"\d{4}-\d{2}")
# The sort key of a stored event: "<UTC ISO time>#<event id>" (billing.adapters.dynamo.usage).
_CURSOR = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.+]{8,40}#.{1,128}")
# A spreadsheet runs a cell that starts with one of these as a formula: ids and properties are the
# merchant's text, so such a cell gets a leading apostrophe in CSV (JSON keeps the text as it is).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportRefused(PermanentError):
    """A download that cannot be answered as asked; `field` names the parameter."""


class UsageExportReader(Protocol):
    def event_page(
        self, tenant_id: str, customer_id: str, start: datetime, end: datetime, after: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """Up to `limit` stored events in [start, end) after the sort key `after`, oldest first, as
        (sort key, stored document); and the last key when more may follow."""
        ...

    def daily(
        self, tenant_id: str, customer_id: str, first_day: date, last_day: date, shards: int = 1
    ) -> dict[tuple[date, str], tuple[Decimal, int]]: ...


@dataclass(frozen=True)
class UsageDownload:
    body: str
    content_type: str
    filename: str
    next_cursor: str | None = None  # events only: ask again with it for the next page


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def parse_month(text: str | None, default: date) -> date:
    if not text:
        return default.replace(day=1)
    if not _MONTH.fullmatch(text):
        raise ExportRefused("a month as YYYY-MM", field="month")
    try:
        return date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise ExportRefused("a month as YYYY-MM", field="month") from None


@dataclass(frozen=True)
class ExportUsage:
    invoices: StoredInvoices
    customers: CustomerDirectory
    usage: UsageExportReader
    clock: Clock

    def __call__(self, token: str, query: dict[str, str]) -> UsageDownload:
        kind = query.get("kind") or "events"
        fmt = query.get("format") or "csv"
        if kind not in KINDS:
            raise ExportRefused(f"one of {', '.join(KINDS)}", field="kind")
        if fmt not in FORMATS:
            raise ExportRefused(f"one of {', '.join(FORMATS)}", field="format")
        stored = self.invoices.by_page_token(token)
        if stored is None:
            raise InvoiceNotFound("no invoice has this link", field="token")
        account = self.customers.get(stored.tenant_id, stored.invoice.customer_id)
        if account is None:
            raise InvoiceNotFound("the invoice's customer is gone", field="token")
        tz = ZoneInfo(account.customer.timezone)
        today = self.clock.now().astimezone(tz).date()
        month = parse_month(query.get("month"), today)
        if month not in months_available(account.subscription.start_date, today):
            raise ExportRefused(
                f"a month from {account.subscription.start_date:%Y-%m} to {today:%Y-%m}", field="month"
            )
        following = (month + timedelta(days=32)).replace(day=1)
        name = f"usage-{kind}-{month:%Y-%m}"
        tenant_id, customer_id = stored.tenant_id, account.customer.id
        if kind == "daily":
            totals = self.usage.daily(
                tenant_id, customer_id, month, following - timedelta(days=1), account.usage_shards
            )
            rows = [
                (day.isoformat(), metric, str(total.normalize() if total else Decimal(0)), count)
                for (day, metric), (total, count) in sorted(totals.items())
            ]
            return self._answer(fmt, name, DAILY_COLUMNS, rows, None)
        cursor = query.get("cursor") or None
        if cursor is not None and not _CURSOR.fullmatch(cursor):
            raise ExportRefused("the `next` value of the previous page, as given", field="cursor")
        items, last = self.usage.event_page(
            tenant_id,
            customer_id,
            local_midnight(month, tz),
            local_midnight(following, tz),
            cursor,
            PAGE_SIZE,
        )
        events = [
            (
                doc.get("id"),
                doc.get("metric"),
                doc.get("timestamp"),
                doc.get("value"),
                doc.get("properties") or {},
            )
            for _, doc in items
        ]
        return self._answer(fmt, name, EVENT_COLUMNS, events, last)

    @staticmethod
    def _answer(
        fmt: str, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], next_cursor: str | None
    ) -> UsageDownload:
        if fmt == "csv":
            return UsageDownload(_csv(columns, rows), "text/csv; charset=utf-8", f"{name}.csv", next_cursor)
        body = {"columns": list(columns), "rows": [dict(zip(columns, row, strict=True)) for row in rows]}
        if next_cursor is not None:
            body["next"] = next_cursor
        return UsageDownload(
            json.dumps(body, ensure_ascii=False, indent=1), "application/json", f"{name}.json", next_cursor
        )
