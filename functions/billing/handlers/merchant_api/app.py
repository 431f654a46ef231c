"""The merchant API's resolver and what every route shares: the path and header types, JSON and
problem+json answers, the tenant of the request, `once` (at most once per Idempotency-Key), a noun's
route declarations (`NounRoutes`) and the operation that reads a body and runs a use case
(`body_operation`).
"""

import json
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from billing.handlers.api_operations import KeyReused, StillRunning, operation, run_once
from billing.handlers.openapi import route_answers
from billing.handlers.problems import (
    PROBLEM_JSON,
    problem,
)
from billing.handlers.tracing import make_tracer
from billing.services.customers.fields import (
    CUSTOMER_ID_PATTERN,
)

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
app.configure_openapi(
    title="Billing merchant API",
    version="1",
    description="Customers and usage for one tenant, authenticated by the tenant's API key (docs/api.md).",
)

OPENAPI_PATH = "/v1/openapi.json"
MAX_BODY_BYTES = 64 * 1024
# The deepest document this API takes is a customer's address inside its body: 32 is generous.
MAX_JSON_DEPTH = 32

IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="any unique string per intended effect; a retry sends the same one",
    ),
]
CustomerId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN)]
InvoiceId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$")]
# A credit note is numbered in its invoice's series, so its id has the invoice's form.
CreditNoteId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$")]
QuestionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
PlanCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Preview = Annotated[bool, Query(description="true: answer what would be invoiced, write nothing")]


def json_answer(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def view_answer(view: Any) -> Response[str]:
    """200 with a use case's pydantic view as its JSON."""
    return json_answer(200, view.model_dump(mode="json"))


def current_tenant() -> str:
    return str(app.context["tenant_id"])


def once(name: str, key: str, body: Any, path: dict[str, Any] | None = None) -> Response[str]:
    """Do operation `name` at most once per (tenant, operation, Idempotency-Key) (handlers/api_operations);
    answer as the first time."""
    try:
        status, answer = run_once(
            current_tenant(), name, key, body.model_dump(mode="json", exclude_unset=True), path or {}
        )
    except KeyReused:
        return problem_answer(
            422, "this Idempotency-Key was used with another request", field="Idempotency-Key"
        )
    except StillRunning:
        return problem_answer(
            409, "a request with this Idempotency-Key is still running", field="Idempotency-Key"
        )
    return json_answer(status, answer)


def problem_answer(status: int, detail: str, **extra: Any) -> Response[str]:
    body = problem(status, detail, instance=app.current_event.path, **extra)
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body))


class NounRoutes:
    """The routes of one noun: its router and its OpenAPI tag, so that a route names only its path, its
    summary and its `answers` (handlers/openapi.route_answers: the success status, its model and
    description, then the error statuses besides 400 and 401)."""

    def __init__(self, tag: str) -> None:
        self.router = Router()
        self.tag = tag

    def get(self, path: str, summary: str, answers: tuple[Any, ...], **options: Any) -> Callable[..., Any]:
        return self.router.get(
            path, summary=summary, responses=route_answers(*answers), tags=[self.tag], **options
        )

    def post(self, path: str, summary: str, answers: tuple[Any, ...], **options: Any) -> Callable[..., Any]:
        return self.router.post(
            path, summary=summary, responses=route_answers(*answers), tags=[self.tag], **options
        )


def body_operation(
    name: str,
    model: Any,
    use_case: Callable[[], Any],
    status: int,
    *,
    owner: str | None = None,
    previewable: bool = False,
    keyed: bool = False,
) -> None:
    """Register operation `name` (handlers/api_operations): the body read as `model` and given to the
    use case after the tenant and, with `owner`, the object it acts on (that path parameter); the
    view it returns answered with `status`. `previewable` passes `preview` from the query on, and a
    preview, which writes nothing, answers 200. `keyed` passes the Idempotency-Key on as
    `request_key`, for use cases that derive their documents' ids from it."""

    def run(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
        params = request["path"]
        preview = previewable and bool(params.get("preview"))
        body = model.model_validate(request["body"])
        acts_on = (params[owner],) if owner is not None else ()
        options: dict[str, Any] = {"preview": preview} if previewable else {}
        if keyed:
            options["request_key"] = request["key"]
        result = use_case()(tenant_id, *acts_on, body, **options)
        return (200 if preview else status), result.model_dump(mode="json")

    operation(name)(run)
