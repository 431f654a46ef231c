"""Counting AWS requests through botocore's event hooks, for every client this process creates.

`install()` wraps `botocore.session.Session.create_client`, so each new client (boto3's, and the ones
PynamoDB builds on its own botocore sessions) gets a `before-call` handler that counts the request
and an `after-call` handler that adds up the DynamoDB capacity units the response reports. DynamoDB
requests ask for `ReturnConsumedCapacity=TOTAL` (PynamoDB does so itself; boto3 calls get it added).
Install it before any client is created: clients made earlier are not counted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_CAPACITY_OPS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
}


_WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass
class Snapshot:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    seconds: Counter[str] = field(default_factory=Counter)  # wall time spent in requests, by service
    parallel: Counter[str] = field(default_factory=Counter)  # requests made off the main thread, by service

    def count(self, service: str, operation: str | None = None) -> int:
        return sum(n for (s, op), n in self.calls.items() if s == service and operation in (None, op))

    def __sub__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            self.calls - other.calls,
            self.read_units - other.read_units,
            self.write_units - other.write_units,
            Counter({k: v - other.seconds.get(k, 0.0) for k, v in self.seconds.items()}),
            self.parallel - other.parallel,
        )


class CallCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = Snapshot()
        self._started = threading.local()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                Counter(self._state.calls),
                self._state.read_units,
                self._state.write_units,
                Counter(self._state.seconds),
                Counter(self._state.parallel),
            )

    def before_call(self, event_name: str, **_: Any) -> None:
        _prefix, service, operation = event_name.split(".", 2)
        with self._lock:
            self._state.calls[(service, operation)] += 1
            if threading.current_thread() is not threading.main_thread():
                self._state.parallel[service] += 1
        stack = getattr(self._started, "stack", None)
        if stack is None:
            stack = self._started.stack = []
        stack.append(time.perf_counter())

    def call_done(self, event_name: str, **_: Any) -> None:
        stack = getattr(self._started, "stack", None)
        if not stack:
            return
        elapsed = time.perf_counter() - stack.pop()
        service = event_name.split(".")[1]
        if threading.current_thread() is not threading.main_thread():
            # Requests made side by side (the usage totals' shard reads) overlap the main thread's
            # wait: kept apart, so time outside requests stays the main thread's own.
            service += " in parallel"
        with self._lock:
            self._state.seconds[service] += elapsed

    def add_capacity_param(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        if event_name.rsplit(".", 1)[-1] in _CAPACITY_OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
        if not consumed:
            return
        # DynamoDB Local reports only CapacityUnits for single-item operations: the operation says
        # whether those are read or write units.
        is_write = model.name in _WRITE_OPS
        read = write = 0.0
        for item in consumed if isinstance(consumed, list) else [consumed]:
            units = float(item.get("CapacityUnits", 0) or 0)
            if is_write:
                write += float(item.get("WriteCapacityUnits", 0) or 0) or units
            else:
                read += float(item.get("ReadCapacityUnits", 0) or 0) or units
        with self._lock:
            self._state.read_units += read
            self._state.write_units += write

    def attach(self, events: Any) -> None:
        events.register("provide-client-params.dynamodb", self.add_capacity_param)
        events.register("before-call", self.before_call)
        events.register("after-call.dynamodb", self.after_call)
        events.register("after-call", self.call_done)
        events.register("after-call-error", self.call_done)


COUNTER = CallCounter()
_installed = False


def install() -> CallCounter:
    global _installed
    if _installed:
        return COUNTER
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        COUNTER.attach(client.meta.events)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _installed = True
    return COUNTER
