"""boto3 adapters: the invoice page bucket, SES email and the invoice queue.

Clients are created once per process (cold start) and reused; endpoints come from botocore's own
AWS_ENDPOINT_URL_* handling, so the same code talks to AWS or to the local stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from billing.services.errors import PermanentError, RetryableError

_RETRYABLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalError",
    "SlowDown",
}


@cache
def client(service: Any) -> Any:
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 5}))


def translate(error: ClientError, what: str) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code in _RETRYABLE_CODES:
        return RetryableError(f"{what}: {code}")
    return PermanentError(f"{what}: {code}")


def read_inbox_file(bucket: str, key: str, what: str) -> bytes:
    """A bank file put into an inbox (Autogiro reports, BgMax files): gone is a `PermanentError` naming
    the key (retrying will not bring it back), any other failure as `translate` says. The importers may
    not list the bucket (it holds every page's token), so S3 answers a missing key with AccessDenied,
    not NoSuchKey: both are said as what they most likely are, the file gone since its event."""
    try:
        body: bytes = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404"):
            raise PermanentError(f"no file {key}", field="key") from error
        if code in ("AccessDenied", "403"):
            raise PermanentError(
                f"no file {key} that this function may read (gone since its event, or outside the inbox)",
                field="key",
            ) from error
        raise translate(error, f"reading the {what}") from error
    return body


class S3PageEraser:
    """Deletes every version of a page (an erased customer's, docs/privacy.md): the bucket is
    versioned, so a plain delete would only hide it behind a delete marker."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def erase(self, key: str) -> int:
        s3 = client("s3")
        try:
            listing = s3.list_object_versions(Bucket=self.bucket, Prefix=key)
            versions = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for kind in ("Versions", "DeleteMarkers")
                for v in listing.get(kind, [])
                if v["Key"] == key
            ]
            for start in range(0, len(versions), 1000):
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": versions[start : start + 1000]})
        except ClientError as exc:
            raise translate(exc, f"erase s3://{self.bucket}/{key}") from exc
        return len(versions)


class S3PagePublisher:
    """Writes invoice pages under i/<token>: the key is the unguessable part of the link."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def publish(self, key: str, body: bytes, content_type: str) -> None:
        try:
            client("s3").put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                # Short max-age: a re-rendered page (paid, answered) reaches the customer within a
                # minute through CloudFront without an invalidation per change.
                CacheControl="public, max-age=60",
            )
        except ClientError as exc:
            raise translate(exc, f"put s3://{self.bucket}/{key}") from exc


class SesMailer:
    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        params: dict[str, Any] = {
            "Source": self.sender,
            "Destination": {"ToAddresses": [to]},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": text, "Charset": "UTF-8"},
                    "Html": {"Data": html, "Charset": "UTF-8"},
                },
            },
        }
        if reply_to:
            params["ReplyToAddresses"] = [reply_to]
        try:
            message_id: str = client("ses").send_email(**params)["MessageId"]
        except ClientError as exc:
            raise translate(exc, "ses send_email") from exc
        return message_id


class SqsInvoiceQueue:
    """Sends one message per customer to invoice, ten to a request."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send_all(self, messages: Iterable[dict[str, Any]]) -> int:
        """Every batch is tried, even after one failed: customers in the other batches are invoiced
        today. A failure is raised at the end, and the scheduler's retry sends again (harmless: workers
        are idempotent per customer and period)."""
        sent = 0
        failures: list[str] = []
        batch: list[dict[str, Any]] = []
        for message in messages:
            batch.append(message)
            if len(batch) == 10:
                sent += self._send_or_note(batch, failures)
                batch = []
        if batch:
            sent += self._send_or_note(batch, failures)
        if failures:
            raise RetryableError(f"{len(failures)} invoice batches were not queued: {failures[0]}")
        return sent

    def _send_or_note(self, batch: Sequence[dict[str, Any]], failures: list[str]) -> int:
        try:
            return self._send(batch)
        except (RetryableError, PermanentError) as exc:
            failures.append(str(exc)[:200])
            return 0

    def _send(self, batch: Sequence[dict[str, Any]]) -> int:
        entries = [{"Id": str(i), "MessageBody": json.dumps(m, sort_keys=True)} for i, m in enumerate(batch)]
        try:
            response = client("sqs").send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except ClientError as exc:
            raise translate(exc, "sqs send_message_batch") from exc
        if response.get("Failed"):
            # Sending again is safe: workers are idempotent per customer and period.
            raise RetryableError(f"{len(response['Failed'])} invoice messages were not queued")
        return len(entries)


class SqsSpendAlertQueue:
    """The spend alert's email goes out from its own queue (billing.services.spend_alerts.send)."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, message: dict[str, Any]) -> None:
        try:
            client("sqs").send_message(
                QueueUrl=self.queue_url, MessageBody=json.dumps(message, sort_keys=True)
            )
        except ClientError as exc:
            raise translate(exc, "sqs send_message (spend alert)") from exc
