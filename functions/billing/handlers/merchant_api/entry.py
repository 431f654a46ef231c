"""The Lambda entry: the caller's key checked and the body bounded before the resolver sees the request."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.domain.bounded_json import nested_deeper_than
from billing.handlers.api_operations import register_context
from billing.handlers.http import BodyRefused, bearer_key, text_body
from billing.handlers.merchant_api.app import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    OPENAPI_PATH,
    app,
    logger,
    metrics,
    tracer,
)
from billing.handlers.problems import (
    problem,
    problem_event_response,
)
from billing.services.api_keys import SCOPE_FULL, grant_for_key, hash_api_key
from billing.wiring import merchant as wiring


def _unreadable_body(event: dict[str, Any]) -> tuple[int, str] | None:
    """What the resolver must not be given: a body over the limit or not UTF-8 (handlers/http.py), or
    JSON nested deeper than any of this API's documents (billing.domain.bounded_json), which parsing
    would otherwise follow to Python's recursion limit (a 500)."""
    try:
        raw = text_body(event, MAX_BODY_BYTES)
    except BodyRefused as exc:
        return exc.status, exc.reason
    if nested_deeper_than(raw, MAX_JSON_DEPTH):
        return 400, "the body is nested too deeply"
    return None  # JSON that is otherwise not valid: the resolver's validation names it


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    path = str(event.get("rawPath") or "")
    if path != OPENAPI_PATH:
        # Before the resolver: an unauthenticated caller learns nothing, not even what is invalid.
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        key = bearer_key(headers)
        grant = grant_for_key(wiring.api_keys(), key)
        if grant is None:
            return problem_event_response(
                401,
                problem(401, "send Authorization: Bearer <key>", instance=path, field="Authorization"),
                {"WWW-Authenticate": "Bearer"},
            )
        if not grant.allows(SCOPE_FULL):
            return problem_event_response(
                403, problem(403, "this key's scope is usage only", instance=path, field="Authorization")
            )
        refused = _unreadable_body(event)
        if refused is not None:
            return problem_event_response(
                refused[0], problem(refused[0], refused[1], instance=path, field="body")
            )
        # The audit trail names the key that acted by its id's first characters, never the key
        key_id = hash_api_key(key or "")[:12]
        app.append_context(tenant_id=grant.tenant_id, operator=f"api key {key_id}")
        logger.append_keys(tenant_id=grant.tenant_id)
        register_context(context)
    answer = app.resolve(event, context)
    # One count per kind of answer: a rise in 4xx is a merchant's integration going wrong.
    kind = (
        "Succeeded" if answer["statusCode"] < 400 else "Refused" if answer["statusCode"] < 500 else "Failed"
    )
    metrics.add_metric(name=f"MerchantApiRequests{kind}", unit=MetricUnit.Count, value=1)
    return answer
