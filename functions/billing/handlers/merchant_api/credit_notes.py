"""Routes of credit notes: create one on an invoice, list an invoice's, get one."""

from aws_lambda_powertools.event_handler import Response

from billing.handlers.merchant_api.app import (
    CreditNoteId,
    IdempotencyKey,
    InvoiceId,
    NounRoutes,
    Preview,
    body_operation,
    current_tenant,
    once,
    view_answer,
)
from billing.services.credit_notes.fields import (
    CreditNoteCreate,
    CreditNoteList,
    CreditNoteResult,
    CreditNoteView,
)
from billing.wiring import merchant as wiring

routes = NounRoutes("credit notes")
router = routes.router

body_operation(
    "credit_note.create",
    CreditNoteCreate,
    wiring.create_credit_note,
    201,
    owner="invoice_id",
    previewable=True,
    keyed=True,
)


@routes.post(
    "/v1/invoices/<invoice_id>/credit_notes",
    "Credit an invoice, whole or by line (preview=true: show the note, write nothing)",
    (201, CreditNoteResult, "The numbered credit note and the invoice after it", 404, 409, 422),
)
def create_credit_note(
    invoice_id: InvoiceId, body: CreditNoteCreate, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once("credit_note.create", idempotency_key, body, {"invoice_id": invoice_id, "preview": preview})


@routes.get(
    "/v1/invoices/<invoice_id>/credit_notes",
    "The credit notes of an invoice, oldest first",
    (200, CreditNoteList, "The invoice's credit notes", 404),
)
def list_credit_notes(invoice_id: InvoiceId) -> Response[str]:
    return view_answer(wiring.get_credit_note().of_invoice(current_tenant(), invoice_id))


@routes.get(
    "/v1/credit_notes/<credit_note_id>",
    "Get a credit note with its whole document and what it credited",
    (200, CreditNoteView, "The credit note", 404),
)
def get_credit_note(credit_note_id: CreditNoteId) -> Response[str]:
    return view_answer(wiring.get_credit_note()(current_tenant(), credit_note_id))
