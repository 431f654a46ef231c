"""The billing run's starter queues every customer it can, even when one batch of messages fails."""

from __future__ import annotations

from typing import Any

import pytest

from billing.adapters import aws
from billing.services.errors import RetryableError


class FlakySqs:
    def __init__(self) -> None:
        self.calls = 0
        self.queued: list[str] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 2:
            return {"Failed": [{"Id": e["Id"]} for e in Entries]}
        self.queued += [e["MessageBody"] for e in Entries]
        return {"Successful": Entries}


def test_a_failed_batch_does_not_stop_the_others_and_is_reported_at_the_end(monkeypatch):
    sqs = FlakySqs()
    monkeypatch.setattr(aws, "client", lambda service: sqs)
    # When 35 customers are queued and the second batch of ten fails
    with pytest.raises(RetryableError):
        aws.SqsInvoiceQueue("https://queue").send_all({"customer": f"c{n}"} for n in range(35))
    # Then the other three batches went out (25 customers), and the failure is raised for the retry
    assert sqs.calls == 4 and len(sqs.queued) == 25
