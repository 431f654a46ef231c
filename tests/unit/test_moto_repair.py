"""The local stack's SQS repairs (infra/moto_server.py) keep moto's answers: what is sent is received
once, in-flight messages stay hidden, and a message past the queue's retention period is dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.moto_server import repair_sqs


@pytest.fixture(scope="module", autouse=True)
def repaired() -> Iterator[None]:
    import moto.sqs.models as models

    saved = (
        models.unix_time,
        models.unix_time_millis,
        models.SQSBackend.is_message_valid_based_on_retention_period,
    )
    assert repair_sqs() == ["clock", "retention check"]
    yield
    # Other tests in this process get moto as it ships.
    models.unix_time, models.unix_time_millis = saved[0], saved[1]
    models.SQSBackend.is_message_valid_based_on_retention_period = saved[2]  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's in-process mock, not a local stack an earlier test left in the environment.
    import os

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)


def test_every_message_is_received_once_and_in_flight_ones_stay_hidden() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-north-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        assert url.startswith("https://sqs.eu-north-1.amazonaws.com/")  # intercepted in process
        for first in range(0, 30, 10):
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{first + i}"} for i in range(10)]
            )
        seen: list[str] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages"
        ):
            seen += [m["Body"] for m in batch]
        assert sorted(seen) == sorted(f"m{i}" for i in range(30))
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == (
            "0",
            "30",
        )


def test_a_message_past_the_retention_period_is_not_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-north-1")
        url = sqs.create_queue(QueueName="r", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="old")
        later = time.time() + 61
        monkeypatch.setattr(time, "time", lambda: later)
        assert sqs.receive_message(QueueUrl=url).get("Messages") is None
        monkeypatch.undo()
        sqs.send_message(QueueUrl=url, MessageBody="new")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["new"]
