"""Routes of customers' questions on invoices: an invoice's questions, the answer, the tenant's open ones."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.handlers.api_operations import operation
from billing.handlers.merchant_api.app import (
    IdempotencyKey,
    InvoiceId,
    NounRoutes,
    QuestionId,
    current_tenant,
    once,
    view_answer,
)
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.services.invoices.open_questions import OpenQuestionList
from billing.services.invoices.questions import Answer, QuestionList, questions_of
from billing.wiring import merchant as wiring

routes = NounRoutes("questions")
router = routes.router


@routes.get(
    "/v1/invoices/<invoice_id>/questions",
    "The questions the customer asked on the invoice's page, open and answered",
    (200, QuestionList, "The invoice's questions", 404),
)
def list_questions(invoice_id: InvoiceId) -> Response[str]:
    return view_answer(wiring.invoice_questions().list(current_tenant(), invoice_id))


@operation("question.answer")
def _answer_question(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    from billing.wiring.core import answer_question

    params = request["path"]
    wiring.invoice_questions().stored(tenant_id, params["invoice_id"], params["question_id"])
    text = Answer.model_validate(request["body"]).text
    stored = answer_question()(
        tenant_id, params["invoice_id"], params["question_id"], text, params["operator"]
    )
    return 200, questions_of(stored).model_dump(mode="json")


@routes.post(
    "/v1/invoices/<invoice_id>/questions/<question_id>/answer",
    "Answer a question: shown on the page, e-mailed to the customer, audited",
    (200, QuestionList, "The invoice's questions, this one answered", 404, 409, 422),
)
def answer_question(
    invoice_id: InvoiceId, question_id: QuestionId, body: Answer, idempotency_key: IdempotencyKey
) -> Response[str]:
    params = {
        "invoice_id": invoice_id,
        "question_id": question_id,
        "operator": str(router.context["operator"]),
    }
    return once("question.answer", idempotency_key, body, params)


@routes.get(
    "/v1/questions",
    "The tenant's open questions, across invoices, with each one's invoice and customer",
    (200, OpenQuestionList, "A page of open questions"),
    description="Newest first (order=newest) or oldest first (order=oldest, the queue order), a page "
    "at a time; answering a question takes it off the list.",
)
def list_open_questions(
    status: Annotated[Literal["open"], Query(description="only open questions are listed")] = "open",
    order: Annotated[Literal["newest", "oldest"], Query(description="by when asked")] = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return view_answer(wiring.open_questions()(current_tenant(), limit, cursor, order))
