"""The template's IAM on the local stack: while a function's handler runs (infra.local_lambda), each
AWS request it makes is checked against the policies template.yaml gives that function, the way AWS
would check it, and refused with AccessDenied when no statement allows it. DynamoDB Local and moto
check nothing, so without this a policy missing an action the code uses would pass every test here and
fail its first request on AWS.

What is checked: DynamoDB actions on tables and indexes (a transaction's items one by one, as IAM does:
`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`); S3 object and bucket actions on the
pages bucket's keys; SQS sends to each queue; EventBridge events to each bus; Secrets Manager reads by
secret name; SES sends on the identity of their From address (the address, or its domain), as the
policies name it with the template's parameters put in. Resources are compared by logical id (the
local stack names each table after its logical id; a bucket, queue or bus maps back through the
functions' environment). For any other service the function must hold the action, on whatever
resource. Requests made outside a handler (a test
seeding data, the operator's CLI, the local queue poller standing in for Lambda's) are not checked:
those are not a function's role.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache
from typing import Any

from infra.template import Tag, every_function_variable, parameter_default, resources_of_type, shared_template

CURRENT: ContextVar[str | None] = ContextVar("local_iam_function", default=None)
REFUSED: list[str] = []  # every request refused in this process, for the suite's last word

# botocore's service name -> IAM's action prefix, where they differ.
_PREFIX = {"sesv2": "ses"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
_TRANSACT_ACTIONS["ConditionCheck"] = "ConditionCheckItem"
_S3_BUCKET_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket"}
_S3_BUCKET_ACTIONS["ListObjectVersions"] = "s3:ListBucketVersions"
# IAM's name for an object request where it is not the request's own (HeadObject is a GetObject).
_S3_OBJECT_ACTIONS = {"HeadObject": "GetObject", "CopyObject": "PutObject"}


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]  # "dynamodb:GetItem", "sqs:SendMessage*", "dynamodb:*"
    resources: tuple[str, ...]  # "InvoicesTable", "InvoicesTable/index/*", "PagesBucket/i/*", "*"
    # A `StringLike: {s3:prefix: ...}` condition: a listing is allowed only under these prefixes.
    prefixes: tuple[str, ...] | None = None

    def allows(self, action: str, resource: str | None) -> bool:
        """`resource` None: any resource will do (a service whose resources are not compared). A
        listing's resource is `Bucket` + LISTED + its prefix."""
        if (
            not any(fnmatch.fnmatchcase(action, granted) for granted in self.actions)
            and "*" not in self.actions
        ):
            return False
        if resource is None:
            return True
        resource, _, prefix = resource.partition(LISTED)
        if self.prefixes is not None and not any(fnmatch.fnmatchcase(prefix, p) for p in self.prefixes):
            return False
        return any(fnmatch.fnmatchcase(resource, pattern) for pattern in self.resources)


LISTED = "\x00"  # between a bucket and the prefix a listing asks for
IDENTITY = "ses:identity/"  # an SES identity as a policy names it, after the service ARN's prefix


def _resource(value: Any) -> str:
    """A policy's resource as `Logical[/rest]` (a table, index, bucket key, queue or bus), or
    `service:rest` for an ARN spelled out (`secretsmanager:secret:billing/*`)."""
    if value == "*" or not isinstance(value, Tag):
        return str(value)
    if value.name == "GetAtt":
        ref = value.value if isinstance(value.value, str) else ".".join(value.value)
        return ref.partition(".")[0]
    if value.name == "Sub":
        text = value.value if isinstance(value.value, str) else value.value[0]
        text = _substitute(text, {} if isinstance(value.value, str) else value.value[1])
        # "${Table.Arn}/index/*", a bucket's ARN spelled out ("arn:${AWS::Partition}:s3:::${Bucket}/i/*"),
        # or a service's ("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:x")
        match = re.fullmatch(r"\$\{(\w+)\.Arn\}(/.*)?", text) or re.fullmatch(
            r"arn:\$\{AWS::Partition\}:s3:::\$\{(\w+)\}(/.*)?", text
        )
        if match:
            return match.group(1) + (match.group(2) or "")
        match = re.fullmatch(
            r"arn:\$\{AWS::Partition\}:(\w+):\$\{AWS::Region\}:\$\{AWS::AccountId\}:(.+)", text
        )
        if match:
            return f"{match.group(1)}:{match.group(2)}"
    return repr(value)  # compared with nothing: only an action-only check can use its statement


def _substitute(text: str, variables: dict[str, Any]) -> str:
    """`text` with the template's parameters and the Sub's own variables put in, as the local stack
    sets them (each parameter's default): an SES identity is named by the sender's address or domain."""
    template = shared_template()
    parameters = template.get("Parameters") or {}

    def value_of(name: str) -> str | None:
        if name in variables:
            found = _evaluate(variables[name], parameters)
            return found if isinstance(found, str) else None
        if name in parameters:
            return parameter_default(template, name)
        return None  # a resource's attribute or a pseudo parameter: compared as written

    return re.sub(r"\$\{([\w:.]+)\}", lambda m: value_of(m.group(1)) or m.group(0), text)


def _evaluate(value: Any, parameters: dict[str, Any]) -> Any:
    """The few intrinsic functions an identity is built with: Ref to a parameter, Split, Select."""
    if not isinstance(value, Tag):
        return value
    if value.name == "Ref" and value.value in parameters:
        return parameter_default(shared_template(), str(value.value))
    if value.name == "Split":
        separator, source = value.value
        text = _evaluate(source, parameters)
        return text.split(separator) if isinstance(text, str) else None
    if value.name == "Select":
        index, source = value.value
        items = _evaluate(source, parameters)
        return items[int(index)] if isinstance(items, list) and int(index) < len(items) else None
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@cache
def grants(function: str) -> tuple[Grant, ...]:
    """The Allow statements of `function`'s policies, and the one SAM policy template it may use."""
    found: list[Grant] = []
    resource = resources_of_type(shared_template(), "AWS::Serverless::Function")[function]
    for policy in resource["Properties"].get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        queue = (policy.get("SQSSendMessagePolicy") or {}).get("QueueName")
        if queue is not None:  # SAM: sqs:SendMessage* on that queue
            found.append(Grant(frozenset({"sqs:SendMessage*"}), (_resource(queue),)))
        for statement in _listed(policy.get("Statement") or []):
            if statement.get("Effect") == "Allow":
                resources = tuple(_resource(v) for v in _listed(statement["Resource"]))
                like = ((statement.get("Condition") or {}).get("StringLike") or {}).get("s3:prefix")
                prefixes = None if like is None else tuple(_listed(like))
                found.append(Grant(frozenset(_listed(statement["Action"])), resources, prefixes))
    return tuple(found)


_variables: tuple[dict[str, Any] | None, dict[str, Any]] = (None, {})


def template_variables() -> dict[str, Any]:
    """Every function's variables (infra.template.every_function_variable), worked out once per
    template version: each checked request looks here."""
    global _variables
    template = shared_template()
    if _variables[0] is not template:  # held, so a later template can never pass for it
        _variables = (template, every_function_variable(template))
    return _variables[1]


def logical_names() -> dict[str, str]:
    """Local physical name -> logical id, from the variables the functions get (`X_TABLE: !Ref X`), as
    the environment holds them now (a stack applied after the first check still maps)."""
    names: dict[str, str] = {}
    for variable, value in template_variables().items():
        if isinstance(value, Tag) and value.name == "Ref" and os.environ.get(variable):
            names[os.environ[variable]] = str(value.value)
    return names


def _logical(name: str) -> str:
    return logical_names().get(name, name)  # the local stack names each table after its logical id


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
        yield _S3_BUCKET_ACTIONS[operation], f"{_logical(bucket)}{LISTED}{params.get('Prefix', '')}"
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


def _other(prefix: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    if prefix == "sqs":
        action = "SendMessage" if operation == "SendMessageBatch" else operation
        url = str(params.get("QueueUrl") or "")
        yield f"sqs:{action}", logical_names().get(url, url.rsplit("/", 1)[-1])
    elif prefix == "events" and operation == "PutEvents":
        for entry in params.get("Entries") or []:
            yield "events:PutEvents", _logical(str(entry.get("EventBusName") or "default"))
    elif prefix == "secretsmanager":
        name = str(params.get("SecretId") or "").split(":secret:", 1)[-1]
        yield f"secretsmanager:{operation}", f"secretsmanager:secret:{name}"
    elif prefix == "ses" and operation in ("SendEmail", "SendRawEmail"):
        # SES authorises a send on the identity of its From address: the address, or its domain
        # (refusal tries both).
        address = parseaddr(str(params.get("Source") or params.get("FromEmailAddress") or ""))[1]
        yield f"ses:{operation}", f"{IDENTITY}{address}" if address else None
    else:
        yield f"{prefix}:{operation}", None


def refusal(function: str, service: str, operation: str, params: dict[str, Any]) -> str | None:
    """Why `function`'s role may not make this request; None when its policies allow it."""
    prefix = _PREFIX.get(service, service)
    if prefix == "dynamodb":
        requests: Iterator[tuple[str, str | None]] = _dynamodb(operation, params)
    elif prefix == "s3":
        requests = _s3(operation, params)
    else:
        requests = _other(prefix, operation, params)
    for action, resource in requests:
        candidates = [resource]
        if resource is not None and resource.startswith(IDENTITY) and "@" in resource:
            candidates.append(IDENTITY + resource.rpartition("@")[2])  # the domain's identity
        if not any(grant.allows(action, c) for grant in grants(function) for c in candidates):
            shown = (resource or "any resource").replace(LISTED, " under the prefix ")
            return f"{function} is not allowed {action} on {shown!s} (template.yaml)"
    return None


def hidden(function: str, operation: str, params: dict[str, Any], error: Any) -> bool:
    """Whether S3 would answer this missing key with 403 rather than 404: the function may not list the
    bucket. Only a listing grant without a prefix condition counts: whether S3 weighs such a condition
    for a missing key is not documented, so the code must not count on it."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    if operation not in ("GetObject", "HeadObject") or code not in ("NoSuchKey", "404", "NotFound"):
        return False
    bucket = _logical(str(params.get("Bucket", "")))
    return not any(
        grant.prefixes is None and grant.allows("s3:ListBucket", bucket) for grant in grants(function)
    )


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
        if function is None:
            return original(self, operation_name, api_params)
        service = self.meta.service_model.service_name
        reason = refusal(function, service, operation_name, api_params)
        if reason is not None:
            REFUSED.append(reason)
            error = {"Error": {"Code": "AccessDeniedException", "Message": reason}}
            raise ClientError(error, operation_name)  # type: ignore[arg-type]
        try:
            return original(self, operation_name, api_params)
        except ClientError as missing:
            if service == "s3" and hidden(function, operation_name, api_params, missing):
                # S3 says a key is missing only to a caller that may list the bucket: 403 otherwise.
                denied = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
                denied["ResponseMetadata"] = {"HTTPStatusCode": 403}  # type: ignore[assignment]
                raise ClientError(denied, operation_name) from missing  # type: ignore[arg-type]
            raise

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
