"""The invoice page's own cost: building its view model and rendering it, against rendering alone.

Issue 13 asks that the work before the template (the page's view model: history, plan fit and the
advice that re-prices the customer's usage on each plan, offers, tenure) cost at most half of the
template render itself: `(view model + render) / render <= 1.5`. Both are timed here in one process,
CPU time, on the richest page the page tests build (`tests/unit/page/builders.rich_context`: the 23rd
invoice of a long-time, data-hungry customer, 22 earlier invoices, three months of usage for plan fit,
offers, a question, a poll, loyalty), in Swedish and English, median of `--runs` rounds of `--pages`
pages each. The invoice's own pricing is `bench_pricing`'s to time.

    .venv/bin/python -m bench.bench_render [--runs 7] [--pages 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.5


def _median_ms(work: Callable[[int], object], runs: int, pages: int) -> float:
    """CPU ms per call of `work(n)` for n in range(pages), the median of `runs` rounds."""
    out = []
    for _ in range(runs):
        started = time.process_time()
        for n in range(pages):
            work(n)
        out.append((time.process_time() - started) / pages * 1000)
    return statistics.median(out)


def measure(runs: int = 7, pages: int = 200) -> dict[str, float]:
    """CPU ms per page: the view model, the bare template render, and their ratio (median)."""
    sys.path.insert(0, str(ROOT))
    from billing.adapters.renderer import JinjaRenderer
    from billing.domain.page import build_invoice_page
    from tests.unit.page.builders import rich_context

    renderer = JinjaRenderer()
    cases = []
    for language in ("sv", "en"):
        invoice, context = rich_context()
        cases.append((replace(invoice, language=language), context))
    views = [build_invoice_page(i, c) for i, c in cases]
    for view in views:  # warm: templates compiled, Babel's locale data loaded
        renderer.render_page(view)

    def rounds(work: Callable[[int], object]) -> float:
        return _median_ms(work, runs, pages)

    built = rounds(lambda n: build_invoice_page(*cases[n % 2]))
    bare = rounds(lambda n: renderer.render_page(views[n % 2]))
    both = rounds(lambda n: renderer.render_page(build_invoice_page(*cases[n % 2])))
    view_ms, render_ms, both_ms = built, bare, both
    return {
        "view model ms": view_ms,
        "render ms": render_ms,
        "both ms": both_ms,
        "ratio": both_ms / render_ms,
    }


def measure_worker_page(runs: int = 7, pages: int = 50) -> dict[str, float]:
    """The same ratio on the page the billing worker publishes, through its presenter: a demo
    customer's 12th monthly invoice priced from its usage (`compute_invoice`), with its 11 earlier
    invoices as history and its usage periods for plan fit (the presenter's plan-switch quotes
    re-price the plans). `both`: pricing + view model + render; `render`: the bare template render of
    the view that produced."""
    from datetime import date

    from billing.adapters.presenter import JinjaInvoicePresenter
    from billing.adapters.renderer import JinjaRenderer
    from billing.domain.page.history import recent_usage
    from billing.domain.pricing import compute_invoice
    from billing.domain.scenario import (
        parse_catalog,
        parse_customer,
        parse_subscription,
        parse_tenant_settings,
        parse_usage_event,
    )
    from billing.services.page_facts import page_facts
    from billing.services.ports import CustomerAccount, PageInputs, StoredInvoice, TenantAccount
    from infra import demo_data

    first = date(2025, 12, 1)
    tenant = TenantAccount(
        parse_tenant_settings(demo_data.tenant_settings()),
        parse_catalog(demo_data.CATALOG),
        dict(demo_data.PAGE_SETTINGS),
    )
    person = next(
        c
        for c in demo_data.customers(40, history_start=first)
        if c.usage_profile == "heavy" and c.start <= first
    )
    customer, subscription = parse_customer(person.profile), parse_subscription(person.subscription)
    events = [
        parse_usage_event(e, "usage")
        for e in demo_data.usage_events(person, demo_data.add_months(first, -1), date(2026, 12, 1))
    ]
    account = CustomerAccount(tenant.settings.tenant_id, customer, subscription, person.email, first, 11)

    def priced(month: int) -> StoredInvoice:
        # The billed window alone, as the worker passes it (services/billed_usage.billed_window).
        start = demo_data.add_months(first, month - 1).isoformat()
        invoice = compute_invoice(
            tenant=tenant.settings,
            catalog=tenant.catalog,
            customer=customer,
            subscription=subscription,
            events=[e for e in events if e.timestamp.date().isoformat() >= start],
            period_start=demo_data.add_months(first, month),
        )
        return StoredInvoice(
            invoice=invoice, page_token="t" * 32, status="open", amount_due=invoice.amount_due
        )

    history = [priced(m) for m in range(11)]
    current_start = demo_data.add_months(first, 11)
    periods = list(
        recent_usage(
            events, subscription, tenant.catalog.plan("bas").interval, current_start, 3, customer.timezone
        )
    )
    presenter = JinjaInvoicePresenter(
        pages_base_url="https://pages.example", api_base_url="https://api.example", facts=page_facts
    )
    renderer = JinjaRenderer()
    today = date(2026, 11, 2)
    view = presenter.view(PageInputs(priced(11), tenant, account, history, today, periods))
    renderer.render_page(view)

    def rounds(work: Callable[[], object]) -> float:
        return _median_ms(lambda _n: work(), runs, pages)

    both = rounds(
        lambda: renderer.render_page(
            presenter.view(PageInputs(priced(11), tenant, account, history, today, periods))
        )
    )
    bare = rounds(lambda: renderer.render_page(view))
    current = priced(11)
    pricing = rounds(lambda: priced(11))
    views = rounds(lambda: presenter.view(PageInputs(current, tenant, account, history, today, periods)))
    both_ms, render_ms = both, bare
    return {
        "both ms": both_ms,
        "render ms": render_ms,
        "ratio": both_ms / render_ms,
        "pricing ms": pricing,
        "view ms": views,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args(argv)
    figures = measure(args.runs, args.pages)
    print(
        f"  the page tests' richest page: view model {figures['view model ms']:.2f} ms, template render"
        f" {figures['render ms']:.2f} ms, both {figures['both ms']:.2f} ms a page (CPU, median of"
        f" {args.runs} x {args.pages}): {figures['ratio']:.2f}x the bare render (goal <= {GOAL}x)"
    )
    worker = measure_worker_page(args.runs, max(1, args.pages // 4))
    print(
        f"  the worker's page (pricing + presenter + render, 11 invoices of history): {worker['both ms']:.2f}"
        f" ms against a bare render of {worker['render ms']:.2f} ms: {worker['ratio']:.2f}x"
        f" (goal <= {GOAL}x);"
        f" of it the invoice's pricing {worker['pricing ms']:.2f} ms and the presenter's view model (plan fit"
        f" re-pricing the recent usage on each plan, the plan-switch quotes) {worker['view ms']:.2f} ms"
    )
    return {**figures, "worker ratio": worker["ratio"], "worker both ms": worker["both ms"]}


if __name__ == "__main__":
    main()
