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
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from infra.local_lambda import (
    DrainResult,
    LambdaContext,
    handler_for,
    invoke,
    lambda_output,
    scheduler_event,
    sqs_event,
)

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
) -> DrainResult:
    """Deliver queued messages to the worker in batches of up to ten until none are visible or in flight."""
    handler = handler_for("IssueInvoicesFunction")

    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    result = DrainResult()
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=LOCAL_VISIBILITY_TIMEOUT * 15,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            attrs = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            if int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
                return result
            # A killed run left messages in flight: wait for them to become visible, as Lambda would.
            time.sleep(0.2)
            continue
        with lambda_output():
            response = handler(
                sqs_event(received, queue_arn), LambdaContext(function_name="IssueInvoicesFunction")
            )
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for m in received:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
        result.batches += 1
        result.messages += len(received)
        result.failures += len(failed)
        if on_batch:
            on_batch(len(done), len(failed))
    raise TimeoutError(f"the invoice queue did not drain within {deadline_s:.0f} s")


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
