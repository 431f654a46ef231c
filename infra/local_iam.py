"""The template's IAM on the local stack: while a function's handler runs (infra.local_lambda), each
DynamoDB and S3 request it makes is checked against the policies template.yaml gives that function, the
way AWS would check it, and refused with AccessDenied when no statement allows it. DynamoDB Local and
moto check nothing, so without this a policy missing an action the code uses would pass every test here
and fail its first request on AWS.

What is checked: DynamoDB actions on tables and indexes (a transaction's items one by one, as IAM does:
`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`), and S3 object and bucket actions on the
pages bucket. Resources are compared by their logical ids (the local stack names each table after its
logical id; the bucket's local name maps back through the functions' environment). Other services (SES,
SQS, Scheduler, Secrets Manager, EventBridge) are not checked. Requests made outside a handler (a test
seeding data, the operator's CLI) are not checked either: the operator's credentials are not a
function's role.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from infra.template import Tag, resources_of_type, shared_template

CURRENT: ContextVar[str | None] = ContextVar("local_iam_function", default=None)
REFUSED: list[str] = []  # every request refused in this process, for the suite's last word

_CHECKED_SERVICES = frozenset({"dynamodb", "s3"})
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
_TRANSACT_ACTIONS["ConditionCheck"] = "ConditionCheckItem"
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket"}
_S3_BUCKET_ACTIONS["ListObjectVersions"] = "s3:ListBucketVersions"
# IAM's name for an object request where it is not the request's own (HeadObject is a GetObject).
_S3_OBJECT_ACTIONS = {"HeadObject": "GetObject", "CopyObject": "PutObject"}


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]  # "dynamodb:GetItem", "s3:PutObject", "dynamodb:*"
    resources: tuple[str, ...]  # "InvoicesTable", "InvoicesTable/index/*", "PagesBucket/i/*", "*"

    def allows(self, action: str, resource: str) -> bool:
        service = action.split(":", 1)[0]
        if action not in self.actions and f"{service}:*" not in self.actions and "*" not in self.actions:
            return False
        return any(fnmatch.fnmatchcase(resource, pattern) for pattern in self.resources)


def _resource(value: Any) -> str | None:
    """A policy's resource as `Logical[/rest]`; None for one this module does not check (an SES
    identity, a log group)."""
    if value == "*":
        return "*"
    if not isinstance(value, Tag):
        return None
    if value.name == "GetAtt":
        ref = value.value if isinstance(value.value, str) else ".".join(value.value)
        name, _, attribute = ref.partition(".")
        return name if attribute == "Arn" else None
    if value.name == "Sub":
        text = value.value if isinstance(value.value, str) else value.value[0]
        # "${Table.Arn}/index/*", or a bucket's ARN spelled out: "arn:${AWS::Partition}:s3:::${Bucket}/i/*"
        match = re.fullmatch(r"\$\{(\w+)\.Arn\}(/.*)?", text) or re.fullmatch(
            r"arn:\$\{AWS::Partition\}:s3:::\$\{(\w+)\}(/.*)?", text
        )
        return match.group(1) + (match.group(2) or "") if match else None
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@cache
def grants(function: str) -> tuple[Grant, ...]:
    """The Allow statements of `function`'s inline policies (SAM policy templates grant SQS only here)."""
    found: list[Grant] = []
    resource = resources_of_type(shared_template(), "AWS::Serverless::Function")[function]
    for policy in resource["Properties"].get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        for statement in _listed(policy.get("Statement") or []):
            if statement.get("Effect") != "Allow":
                continue
            resources = [r for r in (_resource(v) for v in _listed(statement["Resource"])) if r is not None]
            if resources:
                found.append(Grant(frozenset(_listed(statement["Action"])), tuple(resources)))
    return tuple(found)


def _logical_names() -> dict[str, str]:
    """Local physical name -> logical id, from the variables the functions get (`X_TABLE: !Ref X`), as
    the environment holds them now (a stack applied after the first check still maps)."""
    names: dict[str, str] = {}
    variables = shared_template()["Globals"]["Function"]["Environment"]["Variables"]
    for variable, value in variables.items():
        if isinstance(value, Tag) and value.name == "Ref" and os.environ.get(variable):
            names[os.environ[variable]] = str(value.value)
    return names


def _logical(name: str) -> str:
    return _logical_names().get(name, name)  # the local stack names each table after its logical id


def _dynamodb(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems") or {}:
            yield f"dynamodb:{operation}", _logical(table)
    elif operation == "TransactWriteItems":
        for item in params.get("TransactItems") or []:
            for kind, request in item.items():
                yield f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _logical(request["TableName"])
    elif operation == "TransactGetItems":
        for item in params.get("TransactItems") or []:
            yield "dynamodb:GetItem", _logical(item["Get"]["TableName"])
    elif "TableName" in params:
        table = _logical(params["TableName"])
        index = params.get("IndexName")
        yield f"dynamodb:{operation}", f"{table}/index/{index}" if index else table


def _s3(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    bucket = params.get("Bucket")
    if not bucket:
        return
    if operation in _S3_BUCKET_ACTIONS:
        yield _S3_BUCKET_ACTIONS[operation], _logical(bucket)
        return
    if operation == "DeleteObjects":
        for target in (params.get("Delete") or {}).get("Objects") or []:
            action = "s3:DeleteObjectVersion" if target.get("VersionId") else "s3:DeleteObject"
            yield action, f"{_logical(bucket)}/{target['Key']}"
        return
    if "Key" not in params:
        return
    action = _S3_OBJECT_ACTIONS.get(operation, operation)
    if params.get("VersionId") and action in ("GetObject", "DeleteObject"):
        action += "Version"
    yield f"s3:{action}", f"{_logical(bucket)}/{params['Key']}"
    if operation == "CopyObject":
        source = params.get("CopySource")
        if isinstance(source, dict):
            yield "s3:GetObject", f"{_logical(source['Bucket'])}/{source['Key']}"


def refusal(function: str, service: str, operation: str, params: dict[str, Any]) -> str | None:
    """Why `function`'s role may not make this request; None when its policies allow it."""
    requests = _dynamodb(operation, params) if service == "dynamodb" else _s3(operation, params)
    for action, resource in requests:
        if not any(grant.allows(action, resource) for grant in grants(function)):
            return f"{function} is not allowed {action} on {resource} (template.yaml)"
    return None


_installed = False


def install() -> None:
    """Check every request botocore makes while a handler runs (each client, made before or after).
    LOCAL_IAM=off leaves requests unchecked (the benchmark, whose figures should not carry the check)."""
    global _installed
    if _installed or os.environ.get("LOCAL_IAM") == "off":
        return
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def checked(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = CURRENT.get()
        service = self.meta.service_model.service_name
        if function is not None and service in _CHECKED_SERVICES:
            reason = refusal(function, service, operation_name, api_params)
            if reason is not None:
                REFUSED.append(reason)
                error = {"Error": {"Code": "AccessDeniedException", "Message": reason}}
                raise ClientError(error, operation_name)  # type: ignore[arg-type]
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = checked  # type: ignore[method-assign]
    _installed = True


@contextmanager
def as_function(function: str) -> Iterator[None]:
    """Requests made inside are `function`'s, checked against its policies."""
    token = CURRENT.set(function)
    try:
        yield
    finally:
        CURRENT.reset(token)
