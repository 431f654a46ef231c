"""`make demo`: a billing run for a demo merchant on the local stack, then its invoice pages served.

1. Starts (or reuses) the local stack and empties it, so every demo starts from the same state.
2. Seeds Norrsken Mobil AB (infra/demo_data.py): plans in SEK with VAT, customers, 12 months of usage.
3. Runs the past months' billing runs quietly (so pages have history), then this month's run with a
   progress bar: the Scheduler event goes to the starter, which queues customers on SQS; batches
   received from that queue go to the worker, as Lambda would deliver them.
4. Prints a summary and a few page links, and serves the pages on 127.0.0.1 until Ctrl-C
   (`--no-serve` exits after the run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from infra import demo_api, demo_bank, demo_data, demo_history, demo_ledger, local_run
from infra.local_server import LocalServer
from infra.local_stack import LocalStack, LocalStackError, ensure_stripe_stand_in, seed_stripe_secret


def _progress(total: int, label: str) -> Callable[[int, int], None]:
    done = [0, 0]
    width = 30

    def update(ok: int, failed: int) -> None:
        done[0] += ok
        done[1] += failed
        filled = int(width * min(done[0], total) / max(total, 1))
        bar = "#" * filled + "-" * (width - filled)
        extra = f"  ({done[1]} retried)" if done[1] else ""
        sys.stderr.write(f"\r{label} [{bar}] {min(done[0], total)}/{total}{extra}")
        sys.stderr.flush()
        if done[0] >= total:
            sys.stderr.write("\n")

    return update


def sent_emails(moto_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(moto_url + "/moto-api/data.json", timeout=10) as response:  # noqa: S310
        data = json.load(response)
    messages: list[dict[str, Any]] = []
    for bucket in ("Message", "RawMessage"):
        for item in data.get("ses", {}).get(bucket, []) or []:
            messages.append(item)
    return messages


def onboard_tenant(tenant_id: str) -> None:
    """The demo merchant goes in as an operator onboards one: its file, through `billing tenant
    create FILE.yaml` (billing.services.tenants), checked whole; `update` when the stack has it
    already (a seed into a reused stack). No tenant item is written by hand."""
    import yaml

    from billing.cli import main as billing

    document = {
        "tenant_id": tenant_id,
        "settings": demo_data.tenant_settings(tenant_id),
        "catalog": demo_data.CATALOG,
        "page": demo_data.PAGE_SETTINGS,
    }
    quiet = io.StringIO()  # the CLI's one line per tenant would break the demo's own output
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(quiet):
        path = Path(folder) / f"{tenant_id}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        status = billing(["tenant", "create", str(path)])
        if status != 0 and "exists" in quiet.getvalue():
            status = billing(["tenant", "update", str(path)])
    if status != 0:
        raise SystemExit(f"the demo tenant was refused: {quiet.getvalue().strip()}")


def seed(
    count: int,
    today: date,
    tenant_id: str = demo_data.TENANT_ID,
    schedule_from: date | None = None,
    *,
    via_api: bool = True,
) -> dict[str, Any]:
    """Store the demo tenant, its customers and their usage. Billing schedules start 11 months back
    (so past runs build a history), or at `schedule_from` when given. Customers and subscriptions go
    through the merchant's API; `via_api=False` writes them directly, for tests that seed many
    tenants only to exercise something else (the chaos test's twenty)."""
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory
    from billing.adapters.dynamo.usage import load_history
    from billing.wiring.core import bind_tables

    bind_tables()
    current = demo_data.month_start(today)
    history_start = demo_data.add_months(current, -11)
    onboard_tenant(tenant_id)
    seed_stripe_secret(tenant_id)  # no Stripe key: payments go to the local stand-in
    customers = demo_data.customers(count, history_start=history_start, tenant_id=tenant_id)
    # Customers and subscriptions through the merchant's API, as a merchant's system would add them
    api = demo_api.MerchantApi(tenant_id) if via_api else None
    events = 0
    for c in customers:
        first = max(demo_data.month_start(c.start), schedule_from or history_start)
        if api is not None:
            api.add_customer(c, billing_from=first)
        else:
            DynamoCustomerDirectory.put(tenant_id, c.profile, c.subscription, c.email, first)
        usage = demo_data.usage_events(c, demo_data.add_months(history_start, -1), today)
        load_history(tenant_id, c.profile.get("timezone", "Europe/Stockholm"), usage)
        events += len(usage)
    return {
        "customers": customers,
        "events": events,
        "history_start": history_start,
        "current": current,
        "api": api,
    }


def showcase(
    customers: list[demo_data.DemoCustomer], current: date
) -> list[tuple[str, demo_data.DemoCustomer]]:
    """One customer per kind of page (docs/invoice-page.md, "What the customer sees"), then others."""

    def plan(c: demo_data.DemoCustomer) -> str:
        return str(c.subscription["phases"][0]["plan"])

    def months(c: demo_data.DemoCustomer) -> int:
        return (current.year - c.start.year) * 12 + current.month - c.start.month

    kinds: list[tuple[str, Callable[[demo_data.DemoCustomer], bool]]] = [
        ("first invoice", lambda c: months(c) == 0),
        ("long-time customer", lambda c: months(c) >= 22),
        # Plan fit and the offer look at the last 3 periods: customers with that much history.
        ("over-paying: plan fit", lambda c: (plan(c), c.usage_profile) == ("max", "light") and months(c) > 3),
        ("extra data: offer", lambda c: (plan(c), c.usage_profile) == ("bas", "heavy") and months(c) > 3),
    ]
    picked: list[tuple[str, demo_data.DemoCustomer]] = []
    for label, rule in kinds:
        match = next((c for c in customers if rule(c) and all(c is not p for _, p in picked)), None)
        if match is not None:
            picked.append((label, match))
    others = [c for c in customers if all(c is not p for _, p in picked)]
    return picked + [("", c) for c in others[: max(0, 6 - len(picked))]]


def run_billing(run_date: date, *, show_progress: bool) -> dict[str, Any]:
    def progress(queued: int) -> Callable[[int, int], None] | None:
        if not show_progress:
            return None
        if queued == 0:
            sys.stderr.write(f"Billing run {run_date}: nobody due\n")
        return _progress(queued, f"Billing run {run_date}")

    return local_run.run_billing(demo_data.TENANT_ID, run_date, on_started=progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--history-months", type=int, default=11, help="past runs before this month's")
    parser.add_argument("--no-serve", action="store_true", help="exit after the run")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "0")))
    parser.add_argument("--keep-data", action="store_true", help="do not empty the local stack first")
    args = parser.parse_args(argv)
    # The run's time is shown: functions stay warm between invocations, as Lambda keeps each function's
    # container. The suite makes every switch of function a cold start (infra/local_env.py); the demo's
    # requests are still held to each function's policies and settings.
    os.environ.setdefault("LOCAL_COLD_STARTS", "0")

    try:
        stack = LocalStack.ensure()
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.keep_data:
        stack.reset()
    import boto3

    stack.apply_env()
    server = LocalServer(s3=boto3.client("s3"), bucket=stack.function_env["PAGES_BUCKET"], port=args.port)
    os.environ["PAGES_BASE_URL"] = server.url
    os.environ["API_BASE_URL"] = server.url
    ensure_stripe_stand_in(server.url)  # the Pay button's Checkout, and its webhooks back to us

    t0 = time.monotonic()
    today = datetime.now(demo_data.STOCKHOLM).date()
    seeded = seed(args.customers, today)
    print(
        f"Seeded {demo_data.TENANT_SETTINGS['legal_name']}: {len(seeded['customers'])} customers, "
        f"{seeded['events']} usage events, plans {', '.join(p['name'] for p in demo_data.CATALOG['plans'])}"
    )
    current: date = seeded["current"]
    months = min(args.history_months, 11)
    for back in range(months, 0, -1):
        run_date = demo_data.add_months(current, -back)
        run_billing(run_date, show_progress=False)
        # Bank (BgMax) payers first (docs/bgmax.md), then most of the rest by card or Autogiro, a few
        # late (infra/demo_history.py); each pays only what is still open.
        demo_bank.pay_from_bank(demo_data.TENANT_ID, run_date, today, last_month=back == 1)
        demo_history.settle_month(seeded["customers"], run_date, last=back == 1, recent=back <= 2)
        sys.stderr.write(f"\rHistory: billed {run_date:%Y-%m}")
    if months:
        demo_history.dispute_and_question(seeded["customers"], demo_data.add_months(current, -1))
        sys.stderr.write("\n")
    # Last month was invoiced by the loop above: two customers change their minds in the middle of it
    changes = (
        demo_api.change_minds(seeded["api"], seeded["customers"], demo_data.add_months(current, -1))
        if months
        else {}
    )
    emails_before = len(sent_emails(stack.state.moto_url))
    started = run_billing(current, show_progress=True)
    # The outbox's stream, read as Lambda's poller would: every event's audit entry and merchant event
    # (docs/events.md; `billing audit --tenant demo INVOICE` then accounts for every öre).
    from infra import local_outbox

    local_outbox.drain()

    from billing.wiring.core import invoice_ledger, run_ledger

    summary = run_ledger().summary(started["run_id"])
    emails = len(sent_emails(stack.state.moto_url)) - emails_before
    # A one-off invoice and a credit note of part of it, through the API (infra/demo_ledger.py)
    if seeded["api"] is not None:
        changes = {**changes, **demo_ledger.bill_and_credit(seeded["api"], seeded["customers"])}
    elapsed = time.monotonic() - t0
    print()
    print(f"Run {summary.run_id}: {summary.status}")
    print(f"  customers due  {summary.queued}")
    print(f"  invoiced       {summary.invoiced}")
    print(f"  skipped        {summary.skipped}")
    print(f"  failed         {summary.failed}")
    for currency, amount in sorted(summary.amounts.items()):
        print(f"  billed         {amount / 100:,.2f} {currency} (incl. VAT)".replace(",", " "))
    print(f"  emails sent    {emails}")
    print(f"  took           {elapsed:.1f} s")
    # Every handler ran under its function's policies (infra/local_iam.py): a refusal a job swallowed
    # (one page among many) would be a function that fails on AWS.
    from infra import local_iam

    refused = sorted(set(local_iam.REFUSED))
    for reason in refused:
        print(f"  REFUSED        {reason}")
    print()
    print("Invoice pages worth a look (check them: python -m infra.axe <link> ...):")
    for label, c in showcase(seeded["customers"], current):
        history = invoice_ledger().history(
            demo_data.TENANT_ID, c.profile["id"], demo_data.add_months(current, 1), 1
        )
        if history:
            stored = history[-1]
            print(f"  {label:<24} {c.profile['name']:<20} {server.url}/i/{stored.page_token}")
    for label, (c, answer) in changes.items():
        # The upgrade's own plan-change invoice; the leaver's invoice of this run, with its credit
        token = (answer.get("invoice") or {}).get("page_token")
        if token is None:
            latest = invoice_ledger().history(
                demo_data.TENANT_ID, c.profile["id"], demo_data.add_months(current, 1), 1
            )
            token = latest[-1].page_token if latest else None
        if token:
            print(f"  {label:<24} {c.profile['name']:<20} {server.url}/i/{token}")
    if args.no_serve:
        if stack.started_here:
            stack.stop()
        done = summary.failed == 0 and summary.invoiced + summary.skipped == summary.queued
        return 0 if done and not refused else 1
    print(f"\nServing invoice pages on {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        if stack.started_here:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
