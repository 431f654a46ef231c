"""`billing run ...`: operate billing runs by hand.

- `billing run status RUN_ID`: the run record: due, invoiced, skipped, failed, amounts, start and end.
- `billing run now --date D [--tenant T] [--customer C ...] [--drain]`: start (or join) the run of
  tenant T for date D, as the schedule would; with `--customer`, only those customers (a backfill).
  It calls the starter's use case directly with the settings from the environment; on AWS the deployed
  workers take the queued customers from SQS. `--drain` (for the local stack) then delivers the queue
  to the worker handler in this process, batch by batch, as Lambda would.
- `billing run retry-failed RUN_ID [--drain]`: queue the run's failed customers again.

All three are safe to repeat: a run is identified by tenant and date, and the worker never issues a
second invoice for a customer and period. A run may not be dated after today (Stockholm): the late
usage rule (docs/usage.md) relies on no invoice being computed before its day has begun.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from billing.cli.common import command_group, refused, tenant_option
from billing.domain.money import exponent

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

EXIT_FAILED = 1
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers, "run", "billing runs: status, run now (backfills), retry failed", __doc__, raw=True
    )

    status = commands.add_parser("status", help="print a run's record")
    status.add_argument("run_id", help="<tenant>:<YYYY-MM-DD>")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.set_defaults(func=run_status)

    now = commands.add_parser("now", help="start (or join) a tenant's run for a date")
    now.add_argument("--date", required=True, type=date.fromisoformat, help="the run date, YYYY-MM-DD")
    tenant_option(now)
    now.add_argument("--customer", action="append", default=[], help="only this customer (repeatable)")
    now.add_argument(
        "--drain", action="store_true", help="deliver the queue to the worker here (local stack)"
    )
    now.set_defaults(func=run_now)

    retry = commands.add_parser("retry-failed", help="queue a run's failed customers again")
    retry.add_argument("run_id")
    retry.add_argument(
        "--drain", action="store_true", help="deliver the queue to the worker here (local stack)"
    )
    retry.set_defaults(func=run_retry_failed)


def _format_amount(amount: int, currency: str) -> str:
    return f"{Decimal(amount).scaleb(-exponent(currency))} {currency}"


def _summary_dict(summary: Any, failed: list[str]) -> dict[str, Any]:
    return {
        "run_id": summary.run_id,
        "tenant_id": summary.tenant_id,
        "run_date": summary.run_date.isoformat(),
        "status": summary.status,
        "due": summary.queued,
        "invoiced": summary.invoiced,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "failed_customers": failed,
        "amounts": dict(sorted(summary.amounts.items())),
        "started_at": summary.started_at.isoformat() if summary.started_at else None,
        "finished_at": summary.finished_at.isoformat() if summary.finished_at else None,
    }


def print_status(run_id: str, *, as_json: bool = False) -> int:
    from billing.wiring.core import run_ledger

    summary = run_ledger().summary(run_id)
    if summary is None:
        return refused("run_id", f"no run {run_id!r}")
    failed = run_ledger().failed_customers(run_id)
    if as_json:
        print(json.dumps(_summary_dict(summary, failed), indent=2))
        return 0
    rows = [
        ("run", f"{summary.run_id}  ({summary.status})"),
        ("due", str(summary.queued)),
        ("invoiced", str(summary.invoiced)),
        ("skipped", f"{summary.skipped}  (nothing to bill, or not due)"),
        (
            "failed",
            str(summary.failed)
            + (f"  ({', '.join(failed[:10])}{' ...' if len(failed) > 10 else ''})" if failed else ""),
        ),
    ]
    rows += [("billed", _format_amount(a, c)) for c, a in sorted(summary.amounts.items())]
    rows.append(("started", summary.started_at.isoformat() if summary.started_at else "-"))
    rows.append(("finished", summary.finished_at.isoformat() if summary.finished_at else "-"))
    if summary.started_at and summary.finished_at:
        rows.append(("took", f"{(summary.finished_at - summary.started_at).total_seconds():.1f} s"))
    for name, value in rows:
        print(f"{name:<10} {value}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    return print_status(args.run_id, as_json=args.json)


def _start(tenant_id: str, run_date: date, customers: list[str]) -> Any:
    from billing.wiring.core import start_billing_run

    return start_billing_run()(tenant_id, run_date, customers)


def run_now(args: argparse.Namespace) -> int:
    today = datetime.now(STOCKHOLM).date()
    if args.date > today:
        return refused("date", f"{args.date} is after today ({today}); runs are never dated ahead")
    started = _start(args.tenant, args.date, list(args.customer))
    print(f"{started.run_id}: queued {started.queued}", file=sys.stderr)
    if args.drain:
        drained = drain_queue()
        print(
            f"worker: {drained.messages} messages in {drained.batches} batches, {drained.failures} failed",
            file=sys.stderr,
        )
    return print_status(started.run_id)


def run_retry_failed(args: argparse.Namespace) -> int:
    from billing.wiring.core import run_ledger

    summary = run_ledger().summary(args.run_id)
    if summary is None:
        return refused("run_id", f"no run {args.run_id!r}")
    failed = run_ledger().failed_customers(args.run_id)
    if not failed:
        print(f"{args.run_id}: no failed customers", file=sys.stderr)
        return print_status(args.run_id)
    started = _start(summary.tenant_id, summary.run_date, failed)
    print(f"{started.run_id}: queued {started.queued} failed customers again", file=sys.stderr)
    if args.drain:
        drain_queue()
    return print_status(args.run_id)


# ----------------------------------------------------------------------------- local draining


@dataclass
class Drained:
    batches: int = 0
    messages: int = 0
    failures: int = 0


@dataclass
class _Context:
    """What Powertools reads from Lambda's context object."""

    function_name: str = "IssueInvoicesFunction"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:eu-north-1:123456789012:function:IssueInvoicesFunction"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def drain_queue(deadline_s: float = 600, visibility_timeout: int = 30) -> Drained:
    """Drain the invoice queue through the worker handler in this process (`--drain`)."""
    from billing.adapters.aws import client
    from billing.settings import settings

    with contextlib.redirect_stdout(sys.stderr):
        from billing.handlers.issue_invoices import lambda_handler

    def worker(event: dict[str, Any]) -> Any:
        # The handler's metrics and logs are Lambda's stdout; here stdout is the command's answer.
        with contextlib.redirect_stdout(sys.stderr):
            # A stand-in with the attributes Powertools reads of Lambda's context object.
            return lambda_handler(event, cast("LambdaContext", _Context()))

    return deliver_batches(
        client("sqs"),
        settings().invoice_queue_url,
        worker,
        visibility_timeout=visibility_timeout,
        deadline_s=deadline_s,
    )


def deliver_batches(
    sqs: Any,
    queue_url: str,
    worker: Callable[[dict[str, Any]], Any],
    *,
    visibility_timeout: int,
    deadline_s: float,
    on_batch: Callable[[int, int], None] | None = None,
) -> Drained:
    """What SQS's event source mapping does for the worker, in this process: receive batches of up to
    ten, hand each to `worker` as the SQS event Lambda gets, delete what it acknowledged and release what
    it reported failed (`batchItemFailures`), until nothing is visible or in flight. The local stack's
    runs (infra/local_run.py) and `billing run --drain` both go through here."""
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    region = queue_arn.split(":")[3]
    result = Drained()
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            attrs = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            if int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
                return result
            time.sleep(0.2)  # messages of a killed process come back when their visibility ends
            continue
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": m.get("MessageAttributes", {}),
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": region,
                }
                for m in received
            ]
        }
        response = worker(event)
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
