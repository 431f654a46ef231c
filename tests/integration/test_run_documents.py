"""A 200-customer, two-month billing run writes the same documents as the design it replaced (issue 13).

The worker's request sequence, the usage totals, the pricing engine and the page renderer were all
reshaped for cost; none of that may change what a customer receives. This test runs two monthly runs
for 200 demo customers on the local stack, through the real starter and worker handlers, with the
clock fixed and page tokens drawn in a fixed order, and compares a digest of every invoice document,
page and email with `run_documents_200.json`, recorded from the design before issue 13's rework
(a7adcd6).

Three things are normalised, since they differ between runs by construction: the tenant id (a fresh
one per test), the invoice ids (a hash that includes the tenant) and the local page server's address.
Messages reach the worker one at a time in customer-id order, so numbers and tokens are assigned in
the same order whatever SQS returns.

`RUN_DOCUMENTS_RECORD=1` rewrites the digests (only when a difference is intended: say which in the
commit); `RUN_DOCUMENTS_DUMP=DIR` writes every normalised document there, to diff two designs by hand.
The invoice PDF is left out: its writer is a separate concern with its own tests.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from billing.services import billing_run
from infra import demo
from infra.local_lambda import LambdaContext, handler_for, invoke, lambda_output, scheduler_event
from tests.integration.helpers import emails_to, invoices_of, sent_emails

pytestmark = pytest.mark.integration

CUSTOMERS = 200
RUN_DATES = (date(2026, 10, 1), date(2026, 11, 1))
TODAY = date(2026, 11, 23)
RECORDED = Path(__file__).with_name("run_documents_200.json")


def _fixed_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    monkeypatch.setattr(billing_run.SystemClock, "now", lambda self: at)


def _ordered_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count(1)
    monkeypatch.setattr(billing_run.RandomTokens, "page_token", lambda self: f"tok{next(counter):029d}")


def _deliver_in_customer_order(run_date: date, tenant_id: str) -> int:
    """The starter queues the run; its messages go to the worker one by one, sorted by customer."""
    import boto3

    scheduled = datetime(run_date.year, run_date.month, run_date.day, 5, 0, tzinfo=UTC)
    start = scheduler_event("StartBillingRunFunction", scheduled, tenant_id=tenant_id)
    invoke("StartBillingRunFunction", start)
    sqs = boto3.client("sqs")
    queue_url = os.environ["INVOICE_QUEUE_URL"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=900).get(
        "Messages", []
    ):
        messages += batch
    messages.sort(key=lambda m: json.loads(m["Body"])["customer_id"])
    worker = handler_for("IssueInvoicesFunction")
    for m in messages:
        record = {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
        source = {"eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": arn.split(":")[3]}
        event = {"Records": [{**record, **source}]}
        with lambda_output():
            response = worker(event, LambdaContext(function_name="IssueInvoicesFunction"))
        assert not (response or {}).get("batchItemFailures"), response
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return len(messages)


def _documents(tenant_id: str, moto_url: str, base_url: str) -> dict[str, str]:
    """Every invoice's document, page and email, normalised, keyed by customer, period and kind."""
    import boto3

    s3 = boto3.client("s3")
    bucket = os.environ["PAGES_BUCKET"]
    sent = sent_emails(moto_url)

    invoices = sorted(invoices_of(tenant_id), key=lambda i: (i.period_start, i.customer_id))
    # Invoice ids hash the tenant id in; they are named after customer and period instead.
    ids = {inv.invoice_id: f"inv-{inv.customer_id}-{inv.period_start}" for inv in invoices}

    def normal(text: str) -> str:
        text = text.replace(tenant_id, "TENANT").replace(base_url, "BASE")
        return re.sub(r"inv_[a-z0-9]{26}", lambda m: ids.get(m.group(0), "inv-UNKNOWN"), text)

    docs: dict[str, str] = {}
    emails_seen: dict[str, int] = {}
    for inv in invoices:
        key = f"{inv.customer_id} {inv.period_start}"
        fields = {
            "number": inv.number,
            "ocr": inv.ocr,
            "due_date": inv.due_date,
            "total": int(inv.total),
            "amount_due": int(inv.amount_due),
            "page_token": inv.page_token,
            "email_status": inv.email_status,
            "document": inv.document,
        }
        docs[f"{key} invoice"] = normal(json.dumps(fields, sort_keys=True, ensure_ascii=False))
        page = s3.get_object(Bucket=bucket, Key=f"i/{inv.page_token}")["Body"].read().decode("utf-8")
        docs[f"{key} page"] = normal(page)
        # The customer's emails in the order they were sent: the n-th invoice of theirs is the n-th email.
        address = next(m for m in sent if inv.page_token in json.dumps(m))["destinations"]["ToAddresses"][0]
        mails = emails_to(moto_url, address, sent)
        n = emails_seen.get(address, 0)
        emails_seen[address] = n + 1
        docs[f"{key} email"] = normal(json.dumps(mails[n].get("body"), ensure_ascii=False)) + normal(
            mails[n].get("subject", "")
        )
    return docs


def test_a_200_customer_run_writes_the_documents_it_wrote_before(local_env, tenant_id, monkeypatch, tmp_path):
    # Given 200 customers billed from October, with eleven months of usage history
    demo.seed(CUSTOMERS, TODAY, tenant_id, RUN_DATES[0], via_api=False)
    _ordered_tokens(monkeypatch)
    # When the October and November runs are delivered to the worker, customer by customer
    for run_date in RUN_DATES:
        _fixed_clock(monkeypatch, datetime(run_date.year, run_date.month, run_date.day, 5, 0, tzinfo=UTC))
        _deliver_in_customer_order(run_date, tenant_id)
    docs = _documents(tenant_id, local_env.moto_url, local_env.server.url)
    digests = {k: hashlib.sha256(v.encode("utf-8")).hexdigest() for k, v in docs.items()}
    if dump := os.environ.get("RUN_DOCUMENTS_DUMP"):
        for k, v in docs.items():
            (Path(dump) / k.replace(" ", "_")).write_text(v, encoding="utf-8")
    if os.environ.get("RUN_DOCUMENTS_RECORD") == "1":
        RECORDED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    # Then every invoice, page and email is the one the previous design wrote
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert len(digests) > 3 * CUSTOMERS
    changed = sorted(k for k in recorded if digests.get(k) != recorded[k])
    assert set(digests) == set(recorded)
    assert not changed, f"{len(changed)} differ, first: {changed[:6]} (RUN_DOCUMENTS_DUMP=DIR shows them)"
