"""Crafted customers of the demo merchant, each built so one page fact is true, for the browser tests.

One tenant with the demo catalog (Bas 3 GB, Plus 15 GB, Max 50 GB) and the demo page settings
(plan fit, loyalty after 2 years, the Plus offer for Bas customers who bought extra data in 2 of the
last 3 invoices, a poll, an announcement). Dates are relative to the month we are in (`current`), so
the facts hold whenever the tests run: the last run bills `current`, earlier runs build the history.

Usage is whole gigabytes spread over four sessions a month, so every invoice's data line is known:
Bas includes 3 GB, Plus 15 GB, Max 50 GB.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from infra import demo_data
from infra.demo_data import STOCKHOLM, add_months

LINK = re.compile(r"https?://[^\s\"<>]+/i/[A-Za-z0-9_-]+")
# Runs from `current - HISTORY_RUNS` months to `current`: the offer's window (3 invoices) must fit
# behind an invoice that is already overdue (two months back), so that one can be checked too.
HISTORY_RUNS = 4
USAGE_MONTHS = 7


@dataclass(frozen=True)
class CraftedCustomer:
    key: str  # names the artifacts: artifacts/e2e/<key>-desktop.png
    customer_id: str
    name: str
    plan: str
    start: date
    monthly_gb: int  # data used in each whole month since the start (0: none)
    email: str

    def profile(self) -> dict[str, Any]:
        return {
            "id": self.customer_id,
            "name": self.name,
            "address": ["Storgatan 1", "903 26 Umeå"],
            "country": "SE",
            "language": "sv",
            "timezone": "Europe/Stockholm",
            "email": self.email,
        }

    def subscription(self) -> dict[str, Any]:
        return {
            "id": f"sub_{self.customer_id}",
            "customer_id": self.customer_id,
            "anchor": "calendar",
            "phases": [{"plan": self.plan, "start": self.start.isoformat()}],
        }

    def usage(self, current: date) -> list[dict[str, Any]]:
        """`monthly_gb` in each whole month before `current` that the subscription covered."""
        events: list[dict[str, Any]] = []
        if not self.monthly_gb:
            return events
        month = max(add_months(current, -USAGE_MONTHS), self.start)
        share = Decimal(self.monthly_gb) / 4
        while month < current:
            for k, day in enumerate((3, 10, 17, 24)):
                when = datetime.combine(month.replace(day=day), time(12, 0), tzinfo=STOCKHOLM)
                events.append(
                    {
                        "id": f"{self.customer_id}-{month:%Y%m}-{k}",
                        "customer_id": self.customer_id,
                        "metric": "data_gb",
                        "timestamp": when.astimezone(UTC).isoformat(),
                        "value": str(share),
                    }
                )
            month = add_months(month, 1)
        return events


def crafted_customers(tenant_id: str, current: date) -> dict[str, CraftedCustomer]:
    def customer(key: str, n: int, name: str, plan: str, start: date, gb: int) -> CraftedCustomer:
        cid = f"x{n:04d}"
        return CraftedCustomer(key, cid, name, plan, start, gb, f"{cid}.{tenant_id}@kund.example.se")

    people = [
        # Joined on the first of this month: this month's run sends their first invoice.
        customer("first", 1, "Saga Lund", "bas", current, 0),
        # Joined 22 months ago: this is invoice 23; 8 GB a month suits Plus (Bas would be 5 GB extra,
        # Max twice the fee), so plan fit says it fits. Not yet 2 years: no loyalty benefit.
        customer("loyal", 2, "Olof Berg", "plus", add_months(current, -22), 8),
        # 30 months on Max while using 1 GB: Bas would do. Over 2 years: the loyalty benefit.
        customer("overpaying", 3, "Ingrid Holm", "max", add_months(current, -30), 1),
        # Bas with 7 GB every month: 4 GB of extra data on every invoice, so the Plus offer.
        customer("extra-data", 4, "Nils Ek", "bas", add_months(current, -8), 7),
    ]
    return {c.key: c for c in people}


@dataclass(frozen=True)
class CraftedTenant:
    tenant_id: str
    current: date
    customers: dict[str, CraftedCustomer]

    @property
    def run_dates(self) -> list[date]:
        """Oldest first, so each run's pages see the invoices before them."""
        return [add_months(self.current, -back) for back in range(HISTORY_RUNS, -1, -1)]


def seed(
    tenant_id: str,
    today: date,
    *,
    settings: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    page: dict[str, Any] | None = None,
    customers: dict[str, CraftedCustomer] | None = None,
    history_runs: int = HISTORY_RUNS,
) -> CraftedTenant:
    """Store the tenant, the crafted customers and their usage on the local stack; billing starts
    `history_runs` months back (0: this month's run is everyone's first in this system)."""
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory, DynamoTenantDirectory
    from billing.adapters.dynamo.usage import load_history
    from billing.wiring.core import bind_tables
    from infra.local_stack import seed_stripe_secret

    bind_tables()
    current = demo_data.month_start(today)
    DynamoTenantDirectory.put(
        tenant_id,
        settings or demo_data.tenant_settings(tenant_id),
        catalog or copy.deepcopy(demo_data.CATALOG),
        page or copy.deepcopy(demo_data.PAGE_SETTINGS),
    )
    seed_stripe_secret(tenant_id)  # no Stripe key: the Pay button goes to the local stand-in
    crafted = customers or crafted_customers(tenant_id, current)
    first_run = add_months(current, -history_runs)
    for c in crafted.values():
        DynamoCustomerDirectory.put(
            tenant_id, c.profile(), c.subscription(), c.email, max(c.start, first_run)
        )
        usage = c.usage(current)
        if usage:
            load_history(tenant_id, c.profile().get("timezone", "Europe/Stockholm"), usage)
    return CraftedTenant(tenant_id, current, crafted)


@dataclass(frozen=True)
class EmailedPage:
    link: str
    invoice_id: str
    issue_date: date


def emailed_pages(moto_url: str, email: str) -> list[EmailedPage]:
    """Every invoice link emailed to this address, oldest invoice first."""
    from billing.wiring.core import invoice_ledger
    from tests.integration.helpers import emails_to

    pages = []
    for mail in emails_to(moto_url, email):
        found = LINK.search(mail["body"])
        if found is None:
            continue
        link = found.group(0)
        stored = invoice_ledger().by_page_token(link.rsplit("/", 1)[1])
        assert stored is not None, f"the emailed link {link} leads to no invoice"
        pages.append(EmailedPage(link, stored.invoice_id, stored.invoice.issue_date))
    return sorted(pages, key=lambda p: p.issue_date)
