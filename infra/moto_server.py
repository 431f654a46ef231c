"""moto's server, with two repairs to its SQS model so a queue of 10,000 messages stays usable.

`python -m infra.moto_server -H 127.0.0.1 -p PORT` takes moto_server's own arguments. The local stack
starts moto this way; the code under test still talks plain SQS over HTTP and cannot tell.

Why: moto 5.2's SQS is quadratic. Every received message asks for the queue's attributes to read its
retention period, and building them counts the visible, in-flight and delayed messages, each count a
pass over the whole queue that asks for the time through datetime arithmetic (about 6 µs a call
under the profiler).
Sending 3,000 messages took 77 s and receiving and deleting them 221 s, and the cost per call grows
with the queue: a 10,000-customer billing run could not finish on the local stack. The repairs below
change no answer moto gives, only how it gets there:

1. the SQS model's clock reads time.time() instead of subtracting datetimes (same value: seconds since
   the epoch as a float);
2. the retention check reads the queue's retention period directly instead of computing every
   attribute of the queue.

Measured on this machine (`python -m infra.moto_server --measure 3000 [--unrepaired]`, in process):
sending 3,000 messages 77.0 s -> 3.9 s, draining them in 300 receives 220.9 s -> 2.3 s. Each repair
checks that the code it replaces is still there, so a moto upgrade that fixes or moves it turns the
repair off instead of breaking the stack.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from typing import Any


def repair_sqs() -> list[str]:
    """Apply the repairs; return the names of those applied (empty when moto has changed shape)."""
    import moto.sqs.models as sqs_models

    applied: list[str] = []
    original_unix_time = getattr(sqs_models, "unix_time", None)
    if callable(original_unix_time):

        def unix_time(dt: datetime | None = None) -> float:
            return time.time() if dt is None else float(original_unix_time(dt))

        def unix_time_millis(dt: datetime | None = None) -> float:
            return unix_time(dt) * 1000.0

        sqs_models.unix_time = unix_time  # type: ignore[attr-defined]
        sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
        applied.append("clock")

    backend = getattr(sqs_models, "SQSBackend", None)
    if backend is not None and hasattr(backend, "is_message_valid_based_on_retention_period"):

        def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
            queue = self.get_queue(queue_name)
            retain_until = int(queue.message_retention_period) + message.sent_timestamp / 1000
            return bool(retain_until > time.time())

        backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
        applied.append("retention check")
    return applied


def measure(count: int) -> None:
    """Time sending `count` messages and draining them, in process, to show the repair's effect."""
    import boto3
    from moto import mock_aws

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]  # a local stack's endpoints would take the calls away from the mock
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-north-1")
        url = sqs.create_queue(QueueName="measure")["QueueUrl"]
        started = time.perf_counter()
        for first in range(0, count, 10):
            entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(min(10, count - first))]
            sqs.send_message_batch(QueueUrl=url, Entries=entries)
        sent = time.perf_counter() - started
        started = time.perf_counter()
        receives = 0
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            sqs.delete_message_batch(QueueUrl=url, Entries=handles)
            receives += 1
        drained = time.perf_counter() - started
    print(f"sent {count} in {sent:.1f} s; drained in {receives} receives, {drained:.1f} s")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        if "--unrepaired" not in argv:
            print("repairs:", ", ".join(repair_sqs()) or "none (moto changed)")
        measure(int(argv[1]))
        return
    applied = repair_sqs()
    print(f"infra.moto_server: SQS repairs applied: {', '.join(applied) or 'none'}", flush=True)
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
