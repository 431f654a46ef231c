"""The local stack's check of template.yaml's IAM (infra.local_iam) reads the policies as AWS would:
an index is its own resource, a transaction is checked item by item, a bucket's ARN may be spelled out,
and what no statement allows is refused, naming the function, the action and the resource."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local_iam import refusal
from infra.template import load_template, parameter_default


def _item(table: str) -> dict[str, Any]:
    return {"TableName": table, "Key": {}}


@pytest.mark.parametrize(
    ("function", "operation", "params"),
    [
        ("EmailFeedbackFunction", "Query", {"TableName": "InvoicesTable", "IndexName": "message_index"}),
        ("ProcessStripeEventsFunction", "GetItem", _item("StripeRefsTable")),
        ("IssueInvoicesFunction", "Query", {"TableName": "UsageLedgerTable"}),
        (
            "ProcessStripeEventsFunction",
            "TransactWriteItems",
            {"TransactItems": [{"Update": _item("InvoicesTable")}, {"Put": _item("OutboxTable")}]},
        ),
        ("StartBillingRunFunction", "BatchWriteItem", {"RequestItems": {"RunsTable": []}}),
    ],
)
def test_what_a_policy_grants_is_allowed(function: str, operation: str, params: dict[str, Any]) -> None:
    assert refusal(function, "dynamodb", operation, params) is None


@pytest.mark.parametrize(
    ("function", "operation", "params", "said"),
    [
        # The index is granted, not the table behind it
        ("EmailFeedbackFunction", "Query", {"TableName": "InvoicesTable"}, "dynamodb:Query on InvoicesTable"),
        ("PaymentsApiFunction", "GetItem", _item("StripeRefsTable"), "dynamodb:GetItem on StripeRefsTable"),
        # One item of a transaction on a table the function may not write refuses the whole request
        (
            "EmailFeedbackFunction",
            "TransactWriteItems",
            {"TransactItems": [{"Update": _item("InvoicesTable")}, {"Delete": _item("EngagementTable")}]},
            "dynamodb:DeleteItem on EngagementTable",
        ),
        ("IssueInvoicesFunction", "Scan", {"TableName": "InvoicesTable"}, "dynamodb:Scan on InvoicesTable"),
    ],
)
def test_what_no_statement_allows_is_refused_and_named(
    function: str, operation: str, params: dict[str, Any], said: str
) -> None:
    reason = refusal(function, "dynamodb", operation, params)
    assert reason is not None and reason.startswith(function) and said in reason


def test_bucket_writes_follow_the_prefixes_each_function_holds() -> None:
    page = {"Bucket": "PagesBucket", "Key": "i/abc/index.html"}
    inbox = {"Bucket": "PagesBucket", "Key": "autogiro/outbox/file.txt"}
    # The merchant API spells the bucket ARN out: "arn:${AWS::Partition}:s3:::${PagesBucket}/i/*"
    assert refusal("MerchantApiFunction", "s3", "PutObject", page) is None
    assert refusal("MerchantApiFunction", "s3", "PutObject", inbox) is not None
    assert refusal("AutogiroExportFunction", "s3", "PutObject", inbox) is None
    # HeadObject is a GetObject to IAM; a versioned delete needs DeleteObjectVersion
    assert refusal("AutogiroImportFunction", "s3", "HeadObject", {**inbox, "Key": "autogiro/inbox/x"}) is None
    deleted = {"Bucket": "PagesBucket", "Delete": {"Objects": [{"Key": "i/abc", "VersionId": "v1"}]}}
    assert "s3:DeleteObjectVersion" in str(refusal("IssueInvoicesFunction", "s3", "DeleteObjects", deleted))


def test_queues_buses_secrets_and_ses_identities_are_compared_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INVOICE_QUEUE_URL", "http://127.0.0.1:1/123456789012/billing-invoices")
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", "http://127.0.0.1:1/123456789012/billing-webhooks")
    invoices = {"QueueUrl": "http://127.0.0.1:1/123456789012/billing-invoices"}
    webhooks = {"QueueUrl": "http://127.0.0.1:1/123456789012/billing-webhooks"}
    # The run's starter holds SAM's SQSSendMessagePolicy on the invoice queue, and nothing else
    assert refusal("StartBillingRunFunction", "sqs", "SendMessageBatch", invoices) is None
    assert "sqs:SendMessage on WebhookDeliveryQueue" in str(
        refusal("StartBillingRunFunction", "sqs", "SendMessage", webhooks)
    )
    assert refusal("StartBillingRunFunction", "sqs", "DeleteQueue", invoices) is not None
    # Secrets by name under billing/; email by the action alone
    stripe_key = {"SecretId": "billing/demo/stripe"}
    assert refusal("PaymentsApiFunction", "secretsmanager", "GetSecretValue", stripe_key) is None
    assert refusal("IssueInvoicesFunction", "secretsmanager", "GetSecretValue", stripe_key) is not None
    assert refusal("IssueInvoicesFunction", "sesv2", "SendEmail", {}) is None
    assert refusal("StartBillingRunFunction", "sesv2", "SendEmail", {}) is not None
    # Email on the identity of its From address: the sender (SenderEmail), or another at its domain
    sender = parameter_default(load_template(), "SenderEmail")
    domain = sender.rpartition("@")[2]
    assert refusal("IssueInvoicesFunction", "ses", "SendEmail", {"Source": sender}) is None
    assert (
        refusal("IssueInvoicesFunction", "ses", "SendEmail", {"Source": f"Norrsken <info@{domain}>"}) is None
    )
    assert "ses:identity/x@evil.example" in str(
        refusal("IssueInvoicesFunction", "ses", "SendEmail", {"Source": "Norrsken <x@evil.example>"})
    )


def test_a_listing_is_held_to_the_prefix_its_condition_names() -> None:
    # The Autogiro export may list only under autogiro/outbox/ (StringLike s3:prefix)
    listing = {"Bucket": "PagesBucket", "Prefix": "autogiro/outbox/t1/file.txt", "MaxKeys": 1}
    assert refusal("AutogiroExportFunction", "s3", "ListObjectsV2", listing) is None
    everything = {"Bucket": "PagesBucket", "Prefix": "i/"}
    assert "s3:ListBucket on PagesBucket under the prefix i/" in str(
        refusal("AutogiroExportFunction", "s3", "ListObjectsV2", everything)
    )
    assert refusal("IssueInvoicesFunction", "s3", "ListObjectsV2", listing) is not None


def test_a_missing_key_is_a_403_to_a_function_that_may_not_list_the_bucket() -> None:
    from types import SimpleNamespace

    from infra.local_iam import hidden

    missing = SimpleNamespace(response={"Error": {"Code": "NoSuchKey"}})
    inbox = {"Bucket": "PagesBucket", "Key": "bgmax/inbox/t1/gone.txt"}
    # No listing grant at all: S3 answers 403, whatever the key
    assert hidden("BgMaxImportFunction", "GetObject", inbox, missing)
    # A listing grant under a prefix is not counted (S3 does not say it weighs it for a missing key)
    assert hidden("AutogiroExportFunction", "HeadObject", {**inbox, "Key": "autogiro/outbox/x"}, missing)
    # Other errors and other requests pass as they came
    assert not hidden(
        "BgMaxImportFunction", "GetObject", inbox, SimpleNamespace(response={"Error": {"Code": "SlowDown"}})
    )
    assert not hidden("BgMaxImportFunction", "PutObject", inbox, missing)
