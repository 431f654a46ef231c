"""A billing run on the local stack: Scheduler event -> starter -> SQS -> worker -> DynamoDB, S3, SES."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

import pytest

from billing.wiring.core import run_ledger
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import counter_value, emails_to, fetch, invoices_of

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_a_run_issues_one_numbered_invoice_per_customer_with_a_page_and_an_email(local_env, tenant_id):
    # Given a tenant with six customers and their usage in DynamoDB
    seeded = demo.seed(6, TODAY, tenant_id, RUN_DATE)
    # When the scheduled run starts and the worker drains the queue
    started = run_billing(tenant_id, RUN_DATE)
    # Then every customer has exactly one invoice, numbered 1..6 without a gap
    invoices = invoices_of(tenant_id)
    assert started["queued"] == 6
    assert sorted(i.customer_id for i in invoices) == sorted(c.profile["id"] for c in seeded["customers"])
    assert sorted(int(i.sequence) for i in invoices) == [1, 2, 3, 4, 5, 6]
    assert counter_value(tenant_id) == 6
    summary = run_ledger().summary(started["run_id"])
    assert (summary.queued, summary.invoiced, summary.skipped, summary.failed) == (6, 6, 0, 0)
    assert summary.status == "finished"
    assert summary.amounts["SEK"] == sum(int(i.total) for i in invoices) > 0
    for invoice in invoices:
        # And the page link is unguessable (>= 128 random bits) and serves the page
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", invoice.page_token)
        link = f"{local_env.server.url}/i/{invoice.page_token}"
        status, headers, html = fetch(link)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert invoice.number in html
        # And the email to the customer carries that link
        customer = next(c for c in seeded["customers"] if c.profile["id"] == invoice.customer_id)
        mails = emails_to(local_env.moto_url, customer.email)
        assert len(mails) == 1
        assert link in mails[0]["body"]
        assert invoice.email_status == "sent"


def test_running_the_same_day_again_issues_nothing_new(local_env, tenant_id):
    # Given a finished run
    seeded = demo.seed(4, TODAY, tenant_id, RUN_DATE)
    run_billing(tenant_id, RUN_DATE)
    before = {i.invoice_id: (i.number, i.page_token) for i in invoices_of(tenant_id)}
    # When the Scheduler delivers the same run again (a retry) and it is drained again
    again = run_billing(tenant_id, RUN_DATE)
    # Then nobody is due, nothing is re-issued, and no number is used
    assert again["queued"] == 0
    assert {i.invoice_id: (i.number, i.page_token) for i in invoices_of(tenant_id)} == before
    assert counter_value(tenant_id) == len(seeded["customers"])
    for c in seeded["customers"]:
        assert len(emails_to(local_env.moto_url, c.email)) == 1


def test_redelivered_messages_for_invoiced_customers_are_harmless(local_env, tenant_id):
    # Given a run where every customer is invoiced
    seeded = demo.seed(3, TODAY, tenant_id, RUN_DATE)
    started = run_billing(tenant_id, RUN_DATE)
    ids = [c.profile["id"] for c in seeded["customers"]]
    # When an operator re-queues the same customers in the same run (SQS at-least-once, or a re-run)
    run_billing(tenant_id, RUN_DATE, customer_ids=ids)
    # Then still one invoice each, numbers 1..3, and the run's counts are unchanged
    assert sorted(int(i.sequence) for i in invoices_of(tenant_id)) == [1, 2, 3]
    summary = run_ledger().summary(started["run_id"])
    assert (summary.invoiced, summary.skipped) == (3, 0)


def test_a_run_never_touches_another_tenant(local_env, tenant_id):
    # Given two tenants with customers due on the same day
    other = tenant_id + "-b"
    demo.seed(3, TODAY, tenant_id)
    demo.seed(3, TODAY, other)
    # When only the first tenant's run happens
    run_billing(tenant_id, RUN_DATE)
    # Then the other tenant has no invoices and its counter is untouched
    assert len(invoices_of(tenant_id)) == 3
    assert invoices_of(other) == []
    assert counter_value(other) == 0


def _run_in_subprocess(local_env, tenant_id: str, kill_at_call: int = 0) -> int:
    env = {**os.environ, **local_env.env}
    cmd = [sys.executable, "-m", "infra.local_run", "--tenant", tenant_id, "--date", RUN_DATE.isoformat()]
    if kill_at_call:
        cmd += ["--kill-at-call", str(kill_at_call)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300, check=False).returncode


def test_a_run_killed_midway_and_started_again_leaves_exactly_one_invoice_each(local_env, tenant_id):
    # Given eight customers due
    seeded = demo.seed(8, TODAY, tenant_id, RUN_DATE)
    # When the run's process is killed (SIGKILL) partway through, after some invoices are stored
    code = _run_in_subprocess(local_env, tenant_id, kill_at_call=60)
    assert code == -9
    issued_before_restart = len(invoices_of(tenant_id))
    assert 0 < issued_before_restart < 8
    # And the run is started again and finishes
    assert _run_in_subprocess(local_env, tenant_id) == 0
    # Then each customer has exactly one invoice for the period, numbered 1..8 without gaps
    invoices = invoices_of(tenant_id)
    assert sorted(i.customer_id for i in invoices) == sorted(c.profile["id"] for c in seeded["customers"])
    assert sorted(int(i.sequence) for i in invoices) == list(range(1, 9))
    assert counter_value(tenant_id) == 8
    # And everybody got their email, once
    for c in seeded["customers"]:
        assert len(emails_to(local_env.moto_url, c.email)) == 1


def test_a_stored_coupon_discounts_its_periods_and_then_stops(local_env, tenant_id):
    # Given a customer with a 50 % coupon for one period, stored with their subscription
    from billing.adapters.dynamo.stores import DynamoCustomerDirectory
    from billing.wiring.core import customer_directory
    from infra import demo_data

    demo.seed(0, TODAY, tenant_id, RUN_DATE)
    profile = {"id": "k1", "name": "Kim Kupong", "address": ["Gatan 1", "111 22 Stockholm"]}
    subscription = {"id": "s-k1", "customer_id": "k1", "phases": [{"plan": "bas", "start": "2026-10-01"}]}
    coupon = {
        "code": "WELCOME50",
        "name": "Välkomstrabatt",
        "kind": "percentage",
        "percent": "50",
        "duration": "once",
    }
    DynamoCustomerDirectory.put(tenant_id, profile, subscription, "k1@example.se", RUN_DATE, coupons=[coupon])
    # When November and December are billed
    run_billing(tenant_id, RUN_DATE)
    run_billing(tenant_id, date(2026, 12, 1))
    # Then November carries the discount and December does not, and the coupon counts one use
    by_period = {i.period_start: i for i in invoices_of(tenant_id)}
    november = [line for line in by_period["2026-11-01"].document["lines"] if line["kind"] == "discount"]
    december = [line for line in by_period["2026-12-01"].document["lines"] if line["kind"] == "discount"]
    assert (
        len(november) == 1
        and november[0]["amount"] == -demo_data.CATALOG["plans"][0]["charges"][0]["amount"] // 2
    )
    assert december == []
    assert customer_directory().get(tenant_id, "k1").coupons[0]["times_applied"] == 1
