"""Chaos: billing runs killed (SIGKILL) at random AWS calls, then run again, on the local stack.

Each trial is its own tenant with five customers due. Its run is started in a separate process that
kills itself just before its K-th AWS call (`infra/local_run.py --kill-at-call K`, K drawn at random
over the whole run: in the starter, between the invoice transaction and the page, between the page
and the email, mid-batch), sometimes twice in a row. Messages the killed process had received stay
invisible for the queue's visibility timeout, so all trials are killed first, and re-run once those
messages are back, as Lambda would see them. Every trial must end with exactly one invoice per
customer and period, numbers 1..5 without a gap, nobody left out, and no email sent twice.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date

import pytest

from billing.wiring.core import run_ledger
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import counter_value, emails_to, invoices_of, sent_emails

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)
CUSTOMERS = 5
# 20 trials by default (`make fuzz`); `make test` runs fewer (CHAOS_TRIALS). The seed is fixed, so a
# smaller run is the first trials of the full one.
TRIALS = int(os.environ.get("CHAOS_TRIALS", "20"))
# A five-customer run makes about 96 AWS calls (starter ~25, then ~14 per customer plus SQS).
CALLS_IN_A_RUN = 96
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _killed_run(local_env, tenant_id: str, kill_at_call: int) -> int:
    env = {**os.environ, **local_env.env}
    cmd = [
        sys.executable,
        "-m",
        "infra.local_run",
        "--tenant",
        tenant_id,
        "--date",
        RUN_DATE.isoformat(),
        "--kill-at-call",
        str(kill_at_call),
    ]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120, check=False).returncode


def _wait_for_in_flight_messages(sqs, queue_url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        if int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
            return
        time.sleep(0.5)
    raise AssertionError("messages of the killed runs did not come back")


def test_runs_killed_at_random_points_and_run_again_issue_exactly_one_invoice_each(local_env):
    rng = random.Random(20261123)
    trials: list[tuple[str, list[int], list[str]]] = []
    # Given TRIALS tenants (twenty by default) with five customers due each
    for _ in range(TRIALS):
        tenant_id = f"chaos-{uuid.uuid4().hex[:10]}"
        seeded = demo.seed(CUSTOMERS, TODAY, tenant_id, RUN_DATE, via_api=False)
        # When each run is killed at a random AWS call, and every third one killed again on its retry
        kills = [rng.randint(1, CALLS_IN_A_RUN)]
        if len(trials) % 3 == 0:
            kills.append(rng.randint(1, CALLS_IN_A_RUN))
        for k in kills:
            code = _killed_run(local_env, tenant_id, k)
            assert code in (-9, 0), f"run of {tenant_id} failed with {code} (kill at {k})"
        trials.append((tenant_id, kills, [c.profile["id"] for c in seeded["customers"]]))
    kill_points = Counter(k for _, ks, _ in trials for k in ks)
    # The kills really are spread over the run (15 distinct points of 27 kills in the full run)
    assert len(kill_points) >= min(15, TRIALS)

    # And, once the killed processes' messages are visible again, each run is started again
    sqs = local_env.client("sqs")
    _wait_for_in_flight_messages(sqs, local_env.env["INVOICE_QUEUE_URL"])
    for tenant_id, _, _ in trials:
        run_billing(tenant_id, RUN_DATE)

    # Then every trial has exactly one invoice per customer and period, numbered 1..5 without a gap
    all_sent = sent_emails(local_env.moto_url)
    for tenant_id, kills, customer_ids in trials:
        invoices = invoices_of(tenant_id)
        where = f"{tenant_id} killed at {kills}"
        per_customer_period = Counter((i.customer_id, i.period_start) for i in invoices)
        assert sorted(c for c, _ in per_customer_period) == sorted(customer_ids), where
        assert set(per_customer_period.values()) == {1}, where
        assert sorted(int(i.sequence) for i in invoices) == list(range(1, CUSTOMERS + 1)), where
        assert counter_value(tenant_id) == CUSTOMERS, where
        # And nobody is left out of the run record, which is finished
        summary = run_ledger().summary(f"{tenant_id}:{RUN_DATE.isoformat()}")
        assert summary is not None, where
        assert (summary.queued, summary.invoiced, summary.failed) == (CUSTOMERS, CUSTOMERS, 0), where
        assert summary.status == "finished", where
        for invoice in invoices:
            # And every page is published, and no email went out twice
            assert invoice.page_published_at is not None, where
            sent = emails_to(
                local_env.moto_url, f"{invoice.customer_id}.{tenant_id}@kund.example.se", all_sent
            )
            assert len(sent) <= 1, where
            if invoice.email_status == "sent":
                assert len(sent) == 1, where
