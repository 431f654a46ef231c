"""Counting AWS requests through botocore's event hooks, for every client this process creates.

`install()` wraps `botocore.session.Session.create_client`, so each new client (boto3's, and the ones
PynamoDB builds on its own botocore sessions) gets a `before-call` handler that counts the request
and an `after-call` handler that adds up the DynamoDB capacity units the response reports. DynamoDB
requests ask for `ReturnConsumedCapacity=TOTAL` (PynamoDB does so itself; boto3 calls get it added).
Install it before any client is created: clients made earlier are not counted.

Beside DynamoDB Local's own count (it over-counts transactions), `aws_write_units` applies AWS's
documented rule to the items each write request touches: one unit per started KB of the item, where an
item's size is the sum of its attribute names' and values' sizes; an update costs the whole item after
it (read back through a client of its own, not counted); every item of a transaction costs twice.
Global secondary indexes are written too, and billed: for each index of the table (read once with
DescribeTable) that the item is in after the write, a put costs one unit per started KB of what the
index projects (its keys, the table's keys, and INCLUDE's or ALL's attributes), and so does an update
that sets or removes an attribute the index holds (an update that changes an index key costs AWS a
delete and a put there: counted as one, so the figure is a floor). Deletes are counted without their
index entries (nothing the bench measures deletes).
"""

from __future__ import annotations

import math
import re
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
    aws_write_units: float = 0.0  # by AWS's documented rule from item sizes (module docstring)
    aws_units_by_table: Counter[str] = field(default_factory=Counter)  # the same, by table written
    # CPU the counting itself spent (sizing items, reading updated ones back): the measurements take
    # it out of the code's CPU time, which would otherwise carry the bench's own work.
    counting_cpu: float = 0.0

    def count(self, service: str, operation: str | None = None) -> int:
        return sum(n for (s, op), n in self.calls.items() if s == service and operation in (None, op))

    def __sub__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            self.calls - other.calls,
            self.read_units - other.read_units,
            self.write_units - other.write_units,
            Counter({k: v - other.seconds.get(k, 0.0) for k, v in self.seconds.items()}),
            self.parallel - other.parallel,
            self.aws_write_units - other.aws_write_units,
            self.aws_units_by_table - other.aws_units_by_table,
            self.counting_cpu - other.counting_cpu,
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
                self._state.aws_write_units,
                Counter(self._state.aws_units_by_table),
                self._state.counting_cpu,
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

    def add_capacity_param(
        self, params: dict[str, Any], event_name: str, context: Any = None, **_: Any
    ) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation in _CAPACITY_OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if operation in _WRITE_OPS and isinstance(context, dict):
            context["aws_rule_params"] = (operation, params)

    def after_call(self, parsed: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        written = context.pop("aws_rule_params", None) if isinstance(context, dict) else None
        if written is not None and isinstance(parsed, dict) and "Error" not in parsed:
            started = time.thread_time()  # this thread's CPU: others may be working meanwhile
            by_table = aws_rule_write_units(*written)
            with self._lock:
                for table, n in by_table.items():
                    self._state.aws_write_units += n
                    self._state.aws_units_by_table[table] += n
                self._state.counting_cpu += time.thread_time() - started
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


def _value_size(value: dict[str, Any]) -> int:
    """The size of one typed attribute value (DynamoDB's item size rules)."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "N":
        digits = v.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(v) if isinstance(v, bytes | bytearray) else len(str(v).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(x.encode("utf-8")) for x in v)
    if kind == "NS":
        return sum(_value_size({"N": x}) for x in v)
    if kind == "BS":
        return sum(len(x) for x in v)
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(x) for k, x in v.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    """Bytes of one item: its attribute names plus their values."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


_sizing: list[Any] = []  # the uncounted client that reads updated items back


def _client() -> Any:
    if not _sizing:
        import botocore.session

        _sizing.append(_ORIGINAL_CREATE_CLIENT(botocore.session.Session(), "dynamodb"))
    return _sizing[0]


def _item_after(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return dict(_client().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {})


@dataclass(frozen=True)
class _Index:
    name: str
    keys: frozenset[str]  # the index's key attributes: an item without them is not in it
    holds: frozenset[str] | None  # the attributes it projects; None: ALL


_indexes: dict[str, list[_Index]] = {}


def _table_indexes(table: str) -> list[_Index]:
    if table not in _indexes:
        described = _client().describe_table(TableName=table)["Table"]
        table_keys = {k["AttributeName"] for k in described["KeySchema"]}
        found = []
        for index in described.get("GlobalSecondaryIndexes", []):
            keys = frozenset(k["AttributeName"] for k in index["KeySchema"])
            projection = index["Projection"]
            holds = (
                None
                if projection["ProjectionType"] == "ALL"
                else frozenset(keys | table_keys | set(projection.get("NonKeyAttributes", [])))
            )
            found.append(_Index(index["IndexName"], keys, holds))
        _indexes[table] = found
    return _indexes[table]


_NAME = re.compile(r"#?[A-Za-z_][A-Za-z0-9_]*")
_VERBS = {"SET", "REMOVE", "ADD", "DELETE", "if_not_exists", "list_append"}


def _touched(params: dict[str, Any]) -> set[str]:
    """The attribute names an UpdateExpression sets or removes (top level)."""
    names = params.get("ExpressionAttributeNames") or {}
    expression = re.sub(r":[A-Za-z0-9_]+", " ", params.get("UpdateExpression", ""))
    out = set()
    for token in _NAME.findall(expression):
        if token in _VERBS:
            continue
        out.add(names.get(token, token))
    return out


def _index_units(table: str, item: dict[str, Any], touched: set[str] | None) -> int:
    """Index write units for `item` as it is after a write; `touched`: an update's attributes (None:
    a put, which writes every index the item is in)."""
    units = 0
    for index in _table_indexes(table):
        if not index.keys <= item.keys():
            continue
        if touched is not None and index.holds is not None and not touched & index.holds:
            continue
        projected = item if index.holds is None else {k: v for k, v in item.items() if k in index.holds}
        units += _units(item_size(projected))
    return units


def aws_rule_write_units(operation: str, params: dict[str, Any]) -> Counter[str]:
    """Write units of one successful request by AWS's rule (module docstring), by table; index
    writes are counted under "<table> indexes"."""
    units: Counter[str] = Counter()

    def written(table: str, item: dict[str, Any], touched: set[str] | None, factor: int) -> None:
        units[table] += factor * _units(item_size(item))
        if indexed := _index_units(table, item, touched):
            units[f"{table} indexes"] += indexed

    if operation == "PutItem":
        written(params["TableName"], params["Item"], None, 1)
    elif operation == "UpdateItem":
        table = params["TableName"]
        written(table, _item_after(table, params["Key"]), _touched(params), 1)
    elif operation == "DeleteItem":
        units[params["TableName"]] += _units(item_size(_item_after(params["TableName"], params["Key"])))
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for r in requests:
                if "PutRequest" in r:
                    written(table, r["PutRequest"]["Item"], None, 1)
                else:
                    units[table] += 1
    else:
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            table = body["TableName"]
            if kind == "Put":
                written(table, body["Item"], None, 2)
            elif kind == "Update":
                written(table, _item_after(table, body["Key"]), _touched(body), 2)
            else:  # ConditionCheck, Delete: the item as it stands
                units[table] += 2 * _units(item_size(_item_after(table, body["Key"])))
    return units


COUNTER = CallCounter()
_ORIGINAL_CREATE_CLIENT: Any = None
_installed = False


def install() -> CallCounter:
    global _installed
    if _installed:
        return COUNTER
    import botocore.session

    global _ORIGINAL_CREATE_CLIENT
    original = _ORIGINAL_CREATE_CLIENT = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        COUNTER.attach(client.meta.events)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _installed = True
    return COUNTER
