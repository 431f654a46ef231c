"""Lambda: the merchant's API, `/v1/customers...` and `/v1/openapi.json` on the HTTP API
(template: MerchantApiFunction). docs/api.md shows a session with curl.

Every request but the OpenAPI document needs `Authorization: Bearer <key>` of scope `full`
(billing.services.api_keys); the key alone names the tenant, so no id, cursor or body can reach
another tenant's data. Bodies and parameters are checked by the routes' pydantic models (Powertools
validation), and every error is RFC 9457 problem+json naming the field (handlers/problems.py).

Every POST needs an `Idempotency-Key` header: the first request with a key does the work and its
answer is stored (Powertools idempotency, IdempotencyTable, 24 hours); a retry with the same key and
body gets the same answer without a second effect, the same key with another body is refused (422),
and one still running is answered 409.
"""

import json
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.domain.bounded_json import nested_deeper_than
from billing.handlers import merchant_wiring as wiring
from billing.handlers.api_operations import operation, register_context, run_once
from billing.handlers.http import BodyRefused, bearer_key, text_body
from billing.handlers.openapi import route_answers
from billing.handlers.problems import (
    PROBLEM_JSON,
    problem,
    problem_event_response,
    validation_errors,
)
from billing.services.api_keys import SCOPE_FULL, grant_for_key, hash_api_key
from billing.services.credit_notes.create import CreditRefused
from billing.services.credit_notes.fields import (
    CreditNoteCreate,
    CreditNoteList,
    CreditNoteResult,
    CreditNoteView,
)
from billing.services.customers.create import CustomerExists
from billing.services.customers.fields import (
    CUSTOMER_ID_PATTERN,
    CustomerCreate,
    CustomerList,
    CustomerUpdate,
    CustomerView,
)
from billing.services.customers.get import CustomerNotFound
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.services.customers.update import CustomerChanged, InvalidFields
from billing.services.errors import PermanentError
from billing.services.invoices.fields import OneOffInvoiceCreate, OneOffResult
from billing.services.invoices.open_questions import OpenQuestionList
from billing.services.invoices.questions import Answer, QuestionList, questions_of
from billing.services.invoices.views import InvoiceList, InvoiceSummary
from billing.services.price_changes.fields import PlanList, PlanView, VersionSchedule, VersionView
from billing.services.price_changes.schedule import VersionConflict
from billing.services.subscriptions.documents import NoSubscription, SubscriptionConflict
from billing.services.subscriptions.fields import (
    Cancellation,
    ChangeResult,
    PlanChange,
    SubscriptionStart,
    SubscriptionView,
)

logger = Logger()
tracer = Tracer()
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


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


def _tenant() -> str:
    return str(app.context["tenant_id"])


# ------------------------------------------------------------------------------------------ idempotency


def once(name: str, key: str, body: Any, path: dict[str, Any] | None = None) -> Response[str]:
    """Do operation `name` at most once per (tenant, operation, Idempotency-Key) (handlers/api_operations);
    answer as the first time."""
    try:
        status, answer = run_once(
            _tenant(), name, key, body.model_dump(mode="json", exclude_unset=True), path or {}
        )
    except IdempotencyValidationError:
        return _problem(422, "this Idempotency-Key was used with another request", field="Idempotency-Key")
    except IdempotencyAlreadyInProgressError:
        return _problem(409, "a request with this Idempotency-Key is still running", field="Idempotency-Key")
    return _json(status, answer)


# ------------------------------------------------------------------------------------------ customers


@operation("customer.create")
def _create_customer(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    view = wiring.create_customer()(tenant_id, CustomerCreate.model_validate(request["body"]))
    return 201, view.model_dump(mode="json")


@operation("customer.update")
def _update_customer(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    body = CustomerUpdate.model_validate(request["body"])
    view = wiring.update_customer()(tenant_id, request["path"]["customer_id"], body)
    return 200, view.model_dump(mode="json")


@app.post(
    "/v1/customers",
    summary="Create a customer",
    responses=route_answers(201, CustomerView, "The customer", 409, 422),
    tags=["customers"],
)
def create_customer(body: CustomerCreate, idempotency_key: IdempotencyKey) -> Response[str]:
    return once("customer.create", idempotency_key, body)


@app.get(
    "/v1/customers",
    summary="List customers, a page at a time",
    responses=route_answers(200, CustomerList, "A page of customers in id order"),
    tags=["customers"],
)
def list_customers(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return _json(200, wiring.list_customers()(_tenant(), limit, cursor).model_dump(mode="json"))


@app.get(
    "/v1/customers/<customer_id>",
    summary="Get a customer",
    responses=route_answers(200, CustomerView, "The customer", 404),
    tags=["customers"],
)
def get_customer(customer_id: CustomerId) -> Response[str]:
    return _json(200, wiring.get_customer()(_tenant(), customer_id).model_dump(mode="json"))


@app.post(
    "/v1/customers/<customer_id>",
    summary="Change a customer's details (only the fields sent)",
    responses=route_answers(200, CustomerView, "The customer as changed", 404, 409, 422),
    tags=["customers"],
)
def update_customer(
    customer_id: CustomerId, body: CustomerUpdate, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("customer.update", idempotency_key, body, {"customer_id": customer_id})


# ------------------------------------------------------------------------------------------ subscriptions

Preview = Annotated[bool, Query(description="true: answer what would be invoiced, write nothing")]


def _subscription_operation(name: str, model: Any, use_case: Callable[[], Any], status: int) -> None:
    """Register one subscription verb: the body as `model`, `preview` from the query, and `status`
    on success (200 for any preview, which writes nothing)."""

    def run(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
        params = request["path"]
        preview = bool(params.get("preview"))
        body = model.model_validate(request["body"])
        result = use_case()(tenant_id, params["customer_id"], body, preview=preview)
        return (200 if preview else status), result.model_dump(mode="json")

    operation(name)(run)


_subscription_operation("subscription.start", SubscriptionStart, wiring.start_subscription, 201)
_subscription_operation("subscription.change", PlanChange, wiring.change_plan, 200)
_subscription_operation("subscription.cancel", Cancellation, wiring.cancel_subscription, 200)


@app.post(
    "/v1/customers/<customer_id>/subscription",
    summary="Start the customer's subscription (preview=true: show its first invoice, write nothing)",
    responses=route_answers(
        201, ChangeResult, "The subscription and its first invoice's fees", 404, 409, 422
    ),
    tags=["subscriptions"],
)
def start_subscription(
    customer_id: CustomerId,
    body: SubscriptionStart,
    idempotency_key: IdempotencyKey,
    preview: Preview = False,
) -> Response[str]:
    return once("subscription.start", idempotency_key, body, {"customer_id": customer_id, "preview": preview})


@app.get(
    "/v1/customers/<customer_id>/subscription",
    summary="Get the customer's subscription",
    responses=route_answers(200, SubscriptionView, "The subscription", 404),
    tags=["subscriptions"],
)
def get_subscription(customer_id: CustomerId) -> Response[str]:
    return _json(200, wiring.get_subscription()(_tenant(), customer_id).model_dump(mode="json"))


@app.post(
    "/v1/customers/<customer_id>/subscription/change",
    summary="Change plan: an upgrade now, invoiced prorated; a downgrade at the period's end",
    responses=route_answers(200, ChangeResult, "What changed and what was invoiced", 404, 409, 422),
    tags=["subscriptions"],
)
def change_plan(
    customer_id: CustomerId, body: PlanChange, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once(
        "subscription.change", idempotency_key, body, {"customer_id": customer_id, "preview": preview}
    )


@app.post(
    "/v1/customers/<customer_id>/subscription/cancel",
    summary="Cancel now (unused days credited on the next invoice) or at the period's end",
    responses=route_answers(
        200, ChangeResult, "The cancelled subscription and the next invoice's credit", 404, 409, 422
    ),
    tags=["subscriptions"],
)
def cancel_subscription(
    customer_id: CustomerId, body: Cancellation, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once(
        "subscription.cancel", idempotency_key, body, {"customer_id": customer_id, "preview": preview}
    )


# ------------------------------------------------------------------------------------------ invoices

InvoiceId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$")]


@app.get(
    "/v1/customers/<customer_id>/invoices",
    summary="List a customer's invoices, newest first, a page at a time",
    responses=route_answers(200, InvoiceList, "A page of invoices"),
    tags=["invoices"],
)
def list_invoices(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    answer = wiring.list_invoices()(_tenant(), customer_id, limit, cursor)
    return _json(200, answer.model_dump(mode="json"))


@app.get(
    "/v1/customers/<customer_id>/invoices/upcoming",
    summary="The invoice so far: the next invoice as it would be if the period ended now",
    responses=route_answers(200, InvoiceSummary, "A preview, not stored or numbered", 404),
    tags=["invoices"],
)
def upcoming_invoice(customer_id: CustomerId) -> Response[str]:
    return _json(200, wiring.upcoming_invoice()(_tenant(), customer_id).model_dump(mode="json"))


@app.get(
    "/v1/invoices/<invoice_id>",
    summary="Get an invoice with its whole document and page link",
    responses=route_answers(200, InvoiceSummary, "The invoice", 404),
    tags=["invoices"],
)
def get_invoice(invoice_id: InvoiceId) -> Response[str]:
    return _json(200, wiring.get_invoice()(_tenant(), invoice_id).model_dump(mode="json"))


# ------------------------------------------------------------------------------------------ questions

QuestionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@app.get(
    "/v1/invoices/<invoice_id>/questions",
    summary="The questions the customer asked on the invoice's page, open and answered",
    responses=route_answers(200, QuestionList, "The invoice's questions", 404),
    tags=["questions"],
)
def list_questions(invoice_id: InvoiceId) -> Response[str]:
    return _json(200, wiring.invoice_questions().list(_tenant(), invoice_id).model_dump(mode="json"))


@operation("question.answer")
def _answer_question(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    from billing.handlers.wiring import answer_question

    params = request["path"]
    wiring.invoice_questions().stored(tenant_id, params["invoice_id"], params["question_id"])
    text = Answer.model_validate(request["body"]).text
    stored = answer_question()(
        tenant_id, params["invoice_id"], params["question_id"], text, params["operator"]
    )
    return 200, questions_of(stored).model_dump(mode="json")


@app.post(
    "/v1/invoices/<invoice_id>/questions/<question_id>/answer",
    summary="Answer a question: shown on the page, e-mailed to the customer, audited",
    responses=route_answers(200, QuestionList, "The invoice's questions, this one answered", 404, 409, 422),
    tags=["questions"],
)
def answer_question(
    invoice_id: InvoiceId, question_id: QuestionId, body: Answer, idempotency_key: IdempotencyKey
) -> Response[str]:
    params = {"invoice_id": invoice_id, "question_id": question_id, "operator": str(app.context["operator"])}
    return once("question.answer", idempotency_key, body, params)


# ----------------------------------------------------------------------------- one-off invoices, credit notes

CreditNoteId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$")]


@operation("invoice.create")
def _create_one_off_invoice(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    params = request["path"]
    preview = bool(params.get("preview"))
    body = OneOffInvoiceCreate.model_validate(request["body"])
    result = wiring.create_one_off_invoice()(
        tenant_id, params["customer_id"], body, request_key=request["key"], preview=preview
    )
    return (200 if preview else 201), result.model_dump(mode="json")


@operation("credit_note.create")
def _create_credit_note(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    params = request["path"]
    preview = bool(params.get("preview"))
    body = CreditNoteCreate.model_validate(request["body"])
    result = wiring.create_credit_note()(
        tenant_id, params["invoice_id"], body, request_key=request["key"], preview=preview
    )
    return (200 if preview else 201), result.model_dump(mode="json")


@app.post(
    "/v1/customers/<customer_id>/invoices",
    summary="Issue a one-off invoice of items (preview=true: show it, write nothing)",
    responses=route_answers(201, OneOffResult, "The numbered invoice with its page", 404, 409, 422),
    tags=["invoices"],
)
def create_one_off_invoice(
    customer_id: CustomerId,
    body: OneOffInvoiceCreate,
    idempotency_key: IdempotencyKey,
    preview: Preview = False,
) -> Response[str]:
    return once("invoice.create", idempotency_key, body, {"customer_id": customer_id, "preview": preview})


@app.post(
    "/v1/invoices/<invoice_id>/credit_notes",
    summary="Credit an invoice, whole or by line (preview=true: show the note, write nothing)",
    responses=route_answers(
        201, CreditNoteResult, "The numbered credit note and the invoice after it", 404, 409, 422
    ),
    tags=["credit notes"],
)
def create_credit_note(
    invoice_id: InvoiceId, body: CreditNoteCreate, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once("credit_note.create", idempotency_key, body, {"invoice_id": invoice_id, "preview": preview})


@app.get(
    "/v1/invoices/<invoice_id>/credit_notes",
    summary="The credit notes of an invoice, oldest first",
    responses=route_answers(200, CreditNoteList, "The invoice's credit notes", 404),
    tags=["credit notes"],
)
def list_credit_notes(invoice_id: InvoiceId) -> Response[str]:
    return _json(200, wiring.get_credit_note().of_invoice(_tenant(), invoice_id).model_dump(mode="json"))


@app.get(
    "/v1/credit_notes/<credit_note_id>",
    summary="Get a credit note with its whole document and what it credited",
    responses=route_answers(200, CreditNoteView, "The credit note", 404),
    tags=["credit notes"],
)
def get_credit_note(credit_note_id: CreditNoteId) -> Response[str]:
    return _json(200, wiring.get_credit_note()(_tenant(), credit_note_id).model_dump(mode="json"))


@app.get(
    "/v1/questions",
    summary="The tenant's open questions, across invoices, with each one's invoice and customer",
    description="Newest first (order=newest) or oldest first (order=oldest, the queue order), a page "
    "at a time; answering a question takes it off the list.",
    responses=route_answers(200, OpenQuestionList, "A page of open questions"),
    tags=["questions"],
)
def list_open_questions(
    status: Annotated[Literal["open"], Query(description="only open questions are listed")] = "open",
    order: Annotated[Literal["newest", "oldest"], Query(description="by when asked")] = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    answer = wiring.open_questions()(_tenant(), limit, cursor, order)
    return _json(200, answer.model_dump(mode="json"))


# ------------------------------------------------------------------------------------------ catalog
# Plans as versioned documents and price changes (docs/price-changes.md, billing.services.price_changes).

PlanCodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


@app.get(
    "/v1/plans",
    summary="The catalog: every plan with its versions",
    responses=route_answers(200, PlanList, "The plans"),
    tags=["catalog"],
)
def list_plans() -> Response[str]:
    from billing.handlers.price_change_wiring import catalog_plans

    return _json(200, catalog_plans().list(_tenant()).model_dump(mode="json"))


@app.get(
    "/v1/plans/<code>",
    summary="A plan with its versions and each price change's uptake",
    responses=route_answers(200, PlanView, "The plan", 404),
    tags=["catalog"],
)
def get_plan(code: PlanCodePath) -> Response[str]:
    from billing.handlers.price_change_wiring import catalog_plans

    return _json(200, catalog_plans().show(_tenant(), code).model_dump(mode="json"))


@operation("plan.version")
def _schedule_version(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    from billing.handlers.price_change_wiring import schedule_version

    body = VersionSchedule.model_validate(request["body"])
    return 201, schedule_version()(tenant_id, request["path"]["code"], body).model_dump(mode="json")


@app.post(
    "/v1/plans/<code>/versions",
    summary="Schedule a price change: the plan's next version from an effective date, with notice",
    responses=route_answers(201, VersionView, "The scheduled version", 404, 409, 422),
    tags=["catalog"],
)
def schedule_plan_version(
    code: PlanCodePath, body: VersionSchedule, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("plan.version", idempotency_key, body, {"code": code})


@app.exception_handler(VersionConflict)
def _catalog_moved(error: VersionConflict) -> Response[str]:
    return _problem(409, error.reason, field=error.field)


# ------------------------------------------------------------------------------------------ the document


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())


@cache
def openapi_json() -> str:
    """This API's document with usage ingestion's route merged in: one document for the merchant."""
    from billing.handlers import ingest_usage
    from billing.handlers.openapi import merchant_document

    return merchant_document(app, ingest_usage.app)


# ------------------------------------------------------------------------------------------ errors


def _problem(status: int, detail: str, **extra: Any) -> Response[str]:
    body = problem(status, detail, instance=app.current_event.path, **extra)
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body))


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[str]:
    errors = validation_errors(error.errors())
    return _problem(400, f"{len(errors)} field(s) are not valid", errors=errors)


@app.exception_handler(RequestUnsupportedContentType)
def _not_json(_: RequestUnsupportedContentType) -> Response[str]:
    return _problem(
        415, "send the body as application/json", field="Content-Type", kind="unsupported-media-type"
    )


@app.exception_handler(InvalidFields)
def _invalid_fields(error: InvalidFields) -> Response[str]:
    return _problem(400, f"{len(error.errors)} field(s) are not valid", errors=error.errors)


@app.exception_handler(CustomerNotFound)
@app.exception_handler(NoSubscription)
def _not_found(error: PermanentError) -> Response[str]:
    return _problem(404, error.reason, field=error.field)


@app.exception_handler(CustomerExists)
@app.exception_handler(CustomerChanged)
@app.exception_handler(SubscriptionConflict)
@app.exception_handler(CreditRefused)
def _conflict(error: PermanentError) -> Response[str]:
    return _problem(409, error.reason, field=error.field)


@app.exception_handler(PermanentError)
def _refused(error: PermanentError) -> Response[str]:
    return _problem(404 if error.code == "not_found" else 400, error.reason, field=error.field)


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    return _problem(404, "no such route")


# ------------------------------------------------------------------------------------------ the entry


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
