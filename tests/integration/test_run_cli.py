"""`billing run status|now|retry-failed` against the local stack (the CLI drains the queue itself)."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date

import pytest

from billing.adapters.dynamo.stores import DynamoCustomerDirectory
from billing.cli import main as billing_cli
from infra import demo, demo_data
from tests.integration.helpers import counter_value, invoices_of

pytestmark = pytest.mark.integration

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = billing_cli(list(args))
    return code, out.getvalue(), err.getvalue()


def test_run_now_with_drain_issues_the_run_and_prints_its_record(local_env, tenant_id):
    # Given four customers due
    demo.seed(4, TODAY, tenant_id, RUN_DATE)
    # When an operator runs the day by hand and drains the queue locally
    code, out, err = _cli("run", "now", "--date", RUN_DATE.isoformat(), "--tenant", tenant_id, "--drain")
    # Then four invoices exist, numbered 1..4, and the printed record says so
    assert code == 0, err
    assert sorted(int(i.sequence) for i in invoices_of(tenant_id)) == [1, 2, 3, 4]
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["due"] == "4" and lines["invoiced"] == "4" and lines["failed"] == "0"
    assert lines["run"].startswith(f"{tenant_id}:{RUN_DATE.isoformat()}  (finished)")
    assert lines["billed"].endswith(" SEK")
    # And `run status --json` gives the same record, with the amount billed in minor units
    code, out, _ = _cli("run", "status", f"{tenant_id}:{RUN_DATE.isoformat()}", "--json")
    record = json.loads(out)
    assert code == 0 and (record["due"], record["invoiced"], record["skipped"]) == (4, 4, 0)
    assert record["amounts"]["SEK"] == sum(int(i.total) for i in invoices_of(tenant_id))
    assert record["started_at"] and record["finished_at"]


def test_run_now_again_and_for_chosen_customers_never_issues_twice(local_env, tenant_id):
    # Given three customers due
    seeded = demo.seed(3, TODAY, tenant_id, RUN_DATE)
    ids = [c.profile["id"] for c in seeded["customers"]]
    # When a backfill runs for the first customer only
    code, _, err = _cli(
        "run", "now", "--date", RUN_DATE.isoformat(), "--tenant", tenant_id, "--customer", ids[0], "--drain"
    )
    # Then only that customer is invoiced
    assert code == 0, err
    assert [i.customer_id for i in invoices_of(tenant_id)] == [ids[0]]
    # And running the whole day afterwards, twice, invoices the others once each
    for _ in range(2):
        assert _cli("run", "now", "--date", RUN_DATE.isoformat(), "--tenant", tenant_id, "--drain")[0] == 0
    assert sorted(i.customer_id for i in invoices_of(tenant_id)) == sorted(ids)
    assert sorted(int(i.sequence) for i in invoices_of(tenant_id)) == [1, 2, 3]
    assert counter_value(tenant_id) == 3


def test_retry_failed_queues_the_failed_customers_again(local_env, tenant_id):
    # Given a run in which one customer failed (it did not exist when the run reached it)
    demo.seed(2, TODAY, tenant_id, RUN_DATE)
    missing = demo_data.customers(3, history_start=date(2025, 12, 1), tenant_id=tenant_id)[2]
    run_id = f"{tenant_id}:{RUN_DATE.isoformat()}"
    code, out, _ = _cli(
        "run",
        "now",
        "--date",
        RUN_DATE.isoformat(),
        "--tenant",
        tenant_id,
        "--customer",
        missing.profile["id"],
        "--drain",
    )
    assert code == 0
    assert f"failed     1  ({missing.profile['id']})" in out
    # When the customer is fixed and the operator retries the failed ones
    DynamoCustomerDirectory.put(tenant_id, missing.profile, missing.subscription, missing.email, RUN_DATE)
    code, out, err = _cli("run", "retry-failed", run_id, "--drain")
    # Then that customer is invoiced and the run has no failures left
    assert code == 0, err
    assert [i.customer_id for i in invoices_of(tenant_id)] == [missing.profile["id"]]
    record = json.loads(_cli("run", "status", run_id, "--json")[1])
    assert (record["invoiced"], record["failed"], record["failed_customers"]) == (1, 0, [])
    # And retrying again finds nothing to do
    code, _, err = _cli("run", "retry-failed", run_id)
    assert code == 0 and "no failed customers" in err


def test_unknown_runs_and_future_dates_are_refused(local_env, tenant_id):
    # When the run does not exist, Then exit 2 naming the field
    code, _, err = _cli("run", "status", f"{tenant_id}:2026-01-01")
    assert code == 2 and "run_id" in err
    assert _cli("run", "retry-failed", f"{tenant_id}:2026-01-01")[0] == 2
    # When a run is dated after today, Then it is refused before anything is queued
    code, _, err = _cli("run", "now", "--date", "2999-01-01", "--tenant", tenant_id)
    assert code == 2 and "date" in err
