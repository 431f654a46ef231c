"""Invoke handlers the way Lambda does, with real-shaped events, against the local stack.

- Scheduler: the ScheduleV2 `Input` from template.yaml with its context attributes filled in.
- SQS: batches built from messages actually received from the local queue; messages the handler does
  not report in `batchItemFailures` are deleted, the rest become visible again, as with Lambda's
  event source mapping (ReportBatchItemFailures).
- HTTP API: payload format 2.0 events (see infra/local_server.py).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import importlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra import local_env, local_iam
from infra.template import ROOT, Tag, resources_of_type, shared_template

REGION = "eu-north-1"
ACCOUNT = "123456789012"


LAMBDA_LOG = ROOT / ".local" / "lambda.log"
_output_lock = threading.RLock()
_log_file: list[Any] = []


@contextlib.contextmanager
def lambda_output() -> Iterator[None]:
    """Lambda sends a function's stdout (structured logs, EMF metrics) to CloudWatch Logs; locally it
    goes to .local/lambda.log, so the demo's own output stays readable and nothing is lost.

    The file stays open for the process: Powertools' Logger keeps the stream it found at import. A
    handler module first imported outside this block (a test calling it in-process) would keep
    pytest's stdout, so the service logger's stream handlers are pointed at the file here too."""
    if not _log_file:
        LAMBDA_LOG.parent.mkdir(exist_ok=True)
        _log_file.append(LAMBDA_LOG.open("a", encoding="utf-8", buffering=1))
    for logger in list(logging.Logger.manager.loggerDict.values()):
        for handler in getattr(logger, "handlers", ()):
            powertools = type(handler.formatter).__module__.startswith("aws_lambda_powertools")
            if type(handler) is logging.StreamHandler and powertools and handler.stream is not _log_file[0]:
                handler.setStream(_log_file[0])
    with _output_lock, contextlib.redirect_stdout(_log_file[0]):
        yield


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools and our handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    timeout_ms: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def function_resource(logical_id: str) -> dict[str, Any]:
    return resources_of_type(shared_template(), "AWS::Serverless::Function")[logical_id]


def handler_for(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
    """Import the function's handler named in template.yaml (module.attribute). While it runs, its
    AWS requests are checked against the function's policies (infra.local_iam), and the settings it
    reads against its environment (infra.local_env)."""
    handler_path = function_resource(logical_id)["Properties"]["Handler"]
    module_name, attr = handler_path.rsplit(".", 1)
    local_iam.install()
    local_env.install()
    # Imported as the function: what its module reads at import (its cold start) is its own.
    # (The handler's Logger binds to the stream current at import.)
    with lambda_output(), local_iam.as_function(logical_id):
        handler = getattr(importlib.import_module(module_name), attr)

    @functools.wraps(handler)
    def as_function(event: dict[str, Any], context: Any) -> Any:
        with local_iam.as_function(logical_id):
            local_env.cold_start_on_switch(logical_id)
            return handler(event, context)

    return as_function


def invoke(logical_id: str, event: dict[str, Any]) -> Any:
    with lambda_output():
        return handler_for(logical_id)(event, LambdaContext(function_name=logical_id))


def scheduler_event(
    logical_id: str, scheduled_time: datetime, *, tenant_id: str | None = None
) -> dict[str, Any]:
    """The payload EventBridge Scheduler delivers for the function's ScheduleV2 event."""
    template = shared_template()
    props = resources_of_type(template, "AWS::Serverless::Function")[logical_id]["Properties"]
    schedule = next(e for e in props["Events"].values() if e["Type"] == "ScheduleV2")["Properties"]
    raw = schedule["Input"]
    text = raw.value if isinstance(raw, Tag) else raw
    tenant = tenant_id or str(template["Parameters"]["TenantId"]["Default"])
    text = (
        text.replace("${TenantId}", tenant)
        .replace(
            "<aws.scheduler.scheduled-time>", scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        .replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
    )
    event: dict[str, Any] = json.loads(text)
    return event


def http_api_event(
    *,
    method: str,
    raw_path: str,
    route_key: str,
    path_parameters: dict[str, str],
    headers: dict[str, str],
    query: str,
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event."""
    text_types = ("application/json", "application/x-www-form-urlencoded", "text/")
    content_type = headers.get("content-type", "")
    is_text = any(content_type.startswith(t) for t in text_types)
    if is_text:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            is_text = False  # as API Gateway does: bytes that are not UTF-8 arrive base64-encoded
    now = datetime.now(UTC)
    query_params: dict[str, str] = {}
    if query:
        from urllib.parse import parse_qsl

        for k, v in parse_qsl(query, keep_blank_values=True):
            query_params[k] = f"{query_params[k]},{v}" if k in query_params else v
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "queryStringParameters": query_params or None,
        "pathParameters": path_parameters or None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": (body.decode("utf-8") if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not is_text,
    }


def add_base_url_argument(parser: Any) -> None:
    """`--base-url`: where the running demo serves pages and the API (the links a file's effects email)."""
    parser.add_argument(
        "--base-url",
        default=os.environ.get("PAGES_BASE_URL", "http://127.0.0.1:8000"),
        help="where the pages and the API are served (the running demo's address)",
    )


def local_functions_env(base_url: str) -> dict[str, str]:
    """The running local stack's endpoints and function environment in this process, with `base_url`
    for pages and the API unless they are set; the environment, as the stack gives it."""
    from infra.local_stack import LocalStack

    stack = LocalStack.ensure()
    stack.apply_env()
    os.environ.setdefault("PAGES_BASE_URL", base_url)
    os.environ.setdefault("API_BASE_URL", base_url)
    return stack.env()


def put_in_inbox(function_name: str, key: str, body: bytes, bucket: str) -> Any:
    """Put a bank file at `key` and deliver the event S3 would send through EventBridge to the
    function whose rule in template.yaml matches it (the local stack fires no events by itself), which
    must be `function_name`; the function's answer."""
    import boto3

    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    event = s3_object_created_event(bucket, key, len(body))
    routed = functions_for_event(event)
    if routed != [function_name]:
        raise AssertionError(
            f"template.yaml's rules send {key!r} to {routed or 'no function'}, not {function_name}"
        )
    return invoke(function_name, event)


def functions_for_event(event: dict[str, Any]) -> list[str]:
    """The functions whose EventBridgeRule patterns in template.yaml match `event` (exact values and
    `prefix` matches, the two kinds the template uses), with `!Ref` of a resource read as the name the
    local stack gave it (infra.local_iam.logical_names, from the functions' environment)."""
    names = {logical: physical for physical, logical in local_iam.logical_names().items()}
    matched = []
    for name, res in resources_of_type(shared_template(), "AWS::Serverless::Function").items():
        for spec in (res["Properties"].get("Events") or {}).values():
            if spec.get("Type") == "EventBridgeRule" and _matches(
                spec["Properties"]["Pattern"], event, names
            ):
                matched.append(name)
    return sorted(matched)


def _matches(pattern: Any, value: Any, names: dict[str, str]) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and _matches(sub, value[key], names) for key, sub in pattern.items()
        )
    for option in pattern:  # a list: any of its values or filters
        if isinstance(option, dict) and "prefix" in option:
            if isinstance(value, str) and value.startswith(option["prefix"]):
                return True
        elif isinstance(option, Tag) and option.name == "Ref":
            if value == names.get(str(option.value)):
                return True
        elif value == option:
            return True
    return False


def s3_object_created_event(bucket: str, key: str, size: int = 0) -> dict[str, Any]:
    """EventBridge's "Object Created" event for a bucket with EventBridge notifications on (the local
    stack fires no S3 events: put the object, then invoke the function with this)."""
    now = datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": hashlib.md5(key.encode()).hexdigest()},  # noqa: S324
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": ACCOUNT,
            "reason": "PutObject",
        },
    }
