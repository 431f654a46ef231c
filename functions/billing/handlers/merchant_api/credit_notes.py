"""Routes of credit notes: create one on an invoice, list an invoice's, get one."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from billing.handlers.merchant_api.app import (
    IdempotencyKey,
    InvoiceId,
    Preview,
    current_tenant,
    json_answer,
    once,
    previewable_operation,
)
from billing.handlers.openapi import route_answers
from billing.services.credit_notes.fields import (
    CreditNoteCreate,
    CreditNoteList,
    CreditNoteResult,
    CreditNoteView,
)
from billing.wiring import merchant as wiring

router = Router()

CreditNoteId = Annotated[str, Path(pattern=r"^inv_[a-z2-7]{26}$")]


previewable_operation(
    "credit_note.create", CreditNoteCreate, wiring.create_credit_note, "invoice_id", 201, keyed=True
)


@router.post(
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


@router.get(
    "/v1/invoices/<invoice_id>/credit_notes",
    summary="The credit notes of an invoice, oldest first",
    responses=route_answers(200, CreditNoteList, "The invoice's credit notes", 404),
    tags=["credit notes"],
)
def list_credit_notes(invoice_id: InvoiceId) -> Response[str]:
    return json_answer(
        200, wiring.get_credit_note().of_invoice(current_tenant(), invoice_id).model_dump(mode="json")
    )


@router.get(
    "/v1/credit_notes/<credit_note_id>",
    summary="Get a credit note with its whole document and what it credited",
    responses=route_answers(200, CreditNoteView, "The credit note", 404),
    tags=["credit notes"],
)
def get_credit_note(credit_note_id: CreditNoteId) -> Response[str]:
    return json_answer(
        200, wiring.get_credit_note()(current_tenant(), credit_note_id).model_dump(mode="json")
    )
