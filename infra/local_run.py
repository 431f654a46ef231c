"""Run one tenant's billing run on the running local stack, as Lambda would: the Scheduler event to the
starter, then SQS batches from the invoice queue to the worker until every customer is done.

`python -m infra.local_run --tenant T --date YYYY-MM-DD [--kill-at-call K]`

`--kill-at-call K` is the chaos switch for tests: the process SIGKILLs itself just before its K-th AWS
API call (DynamoDB, S3, SES or SQS), i.e. at an arbitrary point of the run: between the transaction and
the page, between the page and the email, mid-batch. Running again must finish the job with exactly one
invoice per customer and period and no gap in the numbers.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from billing.cli.run import Drained, deliver_batches
from infra.local_lambda import LambdaContext, handler_for, invoke, lambda_output, scheduler_event

# Messages a killed process had received come back this soon (the queue's own timeout is for AWS).
LOCAL_VISIBILITY_TIMEOUT = 2


def arm_kill_switch(kill_at_call: int) -> None:
    """SIGKILL this process just before its `kill_at_call`-th AWS API call (boto3 and PynamoDB alike)."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    calls = [0]

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls[0] += 1
        if calls[0] >= kill_at_call:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]


def drain(
    sqs: Any,
    queue_url: str,
    *,
    on_batch: Callable[[int, int], None] | None = None,
    deadline_s: float = 300,
) -> Drained:
    """Deliver queued messages to the worker in batches of up to ten until none are visible or in flight."""
    handler = handler_for("IssueInvoicesFunction")

    def worker(event: dict[str, Any]) -> Any:
        with lambda_output():
            return handler(event, LambdaContext(function_name="IssueInvoicesFunction"))

    return deliver_batches(
        sqs,
        queue_url,
        worker,
        visibility_timeout=LOCAL_VISIBILITY_TIMEOUT * 15,
        deadline_s=deadline_s,
        on_batch=on_batch,
    )


def run_billing(
    tenant_id: str,
    run_date: date,
    *,
    on_started: Callable[[int], Callable[[int, int], None] | None] | None = None,
    customer_ids: list[str] | None = None,
) -> dict[str, Any]:
    import boto3

    scheduled = datetime(run_date.year, run_date.month, run_date.day, 5, 0, tzinfo=UTC)  # 06:00 in Stockholm
    event = scheduler_event("StartBillingRunFunction", scheduled, tenant_id=tenant_id)
    if customer_ids:
        event["customer_ids"] = customer_ids
    started = invoke("StartBillingRunFunction", event)
    on_batch = on_started(int(started["queued"])) if on_started else None
    drain(boto3.client("sqs"), os.environ["INVOICE_QUEUE_URL"], on_batch=on_batch)
    return dict(started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--kill-at-call", type=int, default=0)
    args = parser.parse_args(argv)
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        print(
            "error: no local stack in the environment: eval $(python -m infra.local_stack env)",
            file=sys.stderr,
        )
        return 1
    if args.kill_at_call:
        arm_kill_switch(args.kill_at_call)
    started = run_billing(args.tenant, args.date)
    print(f"{started['run_id']} queued {started['queued']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
