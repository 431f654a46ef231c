"""The merchant API's writes as named operations, each done at most once per (tenant, operation,
Idempotency-Key): the first request does the work and its answer is stored (Powertools idempotency,
IdempotencyTable, 24 hours); a retry with the same key and body gets the same answer without a second
effect. The raised `IdempotencyValidationError` (same key, other body) and
`IdempotencyAlreadyInProgressError` (still running) come back as `KeyReused` and `StillRunning`, the
caller's to answer.

Powertools' idempotency utility imports boto3 (and s3transfer) with its DynamoDB layer, a third of the
merchant API's cold start; only writes use it, so it is imported by the first write, not at start."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from billing.settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A day: long enough for any client's retry loop, short enough that the table stays small.
IDEMPOTENCY_SECONDS = 24 * 3600

Operation = Callable[[str, dict[str, Any]], tuple[int, Any]]
OPERATIONS: dict[str, Operation] = {}
_invocation: list[LambdaContext] = []  # this invocation's context, for the idempotency record's expiry


class KeyReused(Exception):
    """The Idempotency-Key was used before with another request."""


class StillRunning(Exception):
    """A request with this Idempotency-Key is still being done."""


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register `fn(tenant_id, request) -> (status, answer)` as the operation `name`."""

    def register(fn: Operation) -> Operation:
        OPERATIONS[name] = fn
        return fn

    return register


@cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[tenant_id, operation, key]",
        payload_validation_jmespath="[path, body]",
        expires_after_seconds=IDEMPOTENCY_SECONDS,
    )


@cache
def _run() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=_config())
    def run(request: dict[str, Any]) -> dict[str, Any]:
        status, answer = OPERATIONS[request["operation"]](request["tenant_id"], request)
        return {"status": status, "body": answer}

    return run


def register_context(context: LambdaContext) -> None:
    """Let a record in progress expire with the invocation that wrote it (Powertools' rule): kept
    here, handed to the utility when a write runs."""
    _invocation[:] = [context]


def run_once(
    tenant_id: str, name: str, key: str, body: dict[str, Any], path: dict[str, Any]
) -> tuple[int, Any]:
    """Operation `name` for this request, or the answer its first run gave. `body` is the request as
    validated, so whitespace or key order does not change it."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    request = {"tenant_id": tenant_id, "operation": name, "key": key, "path": path, "body": body}
    if _invocation:
        _config().register_lambda_context(_invocation[0])
    try:
        result = _run()(request=request)
    except IdempotencyValidationError as exc:
        raise KeyReused(key) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise StillRunning(key) from exc
    return int(result["status"]), result["body"]
