"""The outbox's publisher on the local stack, as Lambda runs it on AWS: DynamoDB Local's stream of the
OutboxTable (AWS's own stream engine) read shard by shard, its records handed to DriveOutboxFunction's
handler in Lambda's DynamoDB-stream event shape (batches of up to 100, as the template's BatchSize);
and the merchant's webhook deliveries read from WebhookDeliveryQueue and handed to
DeliverWebhooksFunction as SQS events.

`drain()` reads until the stream has nothing new and returns how many records it handed over; the
demo and the tests call it where Lambda's poller would have run by then. Positions are kept per
process; reading a record again is harmless (a finished stream has nothing pending).

    .venv/bin/python -m infra.local_outbox      # drain once against the running local stack
"""

from __future__ import annotations

import os
from typing import Any

from infra.local_lambda import invoke
from infra.local_stack import REGION

BATCH = 100
_positions: dict[tuple[str, str], str] = {}  # (stream arn, shard id) -> last sequence handed over


def _streams() -> Any:
    import boto3

    return boto3.client(
        "dynamodbstreams",
        endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
        region_name=REGION,
    )


def _stream_arn() -> str:
    import boto3

    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"], region_name=REGION)
    return str(ddb.describe_table(TableName=os.environ["OUTBOX_TABLE"])["Table"]["LatestStreamArn"])


def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    return {**record, "eventSourceARN": arn, "awsRegion": REGION}


def drain_stream() -> int:
    """Hand every new stream record to DriveOutboxFunction; returns how many."""
    streams = _streams()
    arn = _stream_arn()
    handed = 0
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        shard_id = shard["ShardId"]
        after = _positions.get((arn, shard_id))
        iterator_args: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        start = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **iterator_args)
        iterator = start["ShardIterator"]
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=BATCH)
            records = answer.get("Records") or []
            if not records:
                break
            result = invoke("DriveOutboxFunction", {"Records": [_lambda_record(r, arn) for r in records]})
            failures = (result or {}).get("batchItemFailures") or []
            if failures:
                # As Lambda does with ReportBatchItemFailures: start again from the first failed record.
                first = failures[0]["itemIdentifier"]
                done = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(first)]
                if done:
                    _positions[(arn, shard_id)] = done[-1]["dynamodb"]["SequenceNumber"]
                handed += len(done)
                break
            _positions[(arn, shard_id)] = records[-1]["dynamodb"]["SequenceNumber"]
            handed += len(records)
            iterator = answer.get("NextShardIterator")
    return handed


def drain_webhooks(max_messages: int = 10_000) -> int:
    """Hand queued webhook deliveries (those visible now) to DeliverWebhooksFunction; returns how many."""
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    url = os.environ["WEBHOOK_QUEUE_URL"]
    handed = 0
    while handed < max_messages:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages") or []
        if not messages:
            break
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:WebhookDeliveryQueue",
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }
        result = invoke("DeliverWebhooksFunction", event)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures") or []}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        handed += len(messages)
    return handed


def drain() -> int:
    """The stream, then the deliveries it queued."""
    handed = drain_stream()
    drain_webhooks()
    return handed


def main() -> int:
    from infra.local_stack import LocalStack

    LocalStack.ensure().apply_env()
    print(f"outbox: {drain()} stream records driven")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
