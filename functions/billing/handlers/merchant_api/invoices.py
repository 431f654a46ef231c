"""Routes of invoices: a customer's list, the upcoming one, one invoice, and a one-off invoice created."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.handlers.merchant_api.app import (
    CustomerId,
    IdempotencyKey,
    InvoiceId,
    Preview,
    current_tenant,
    json_answer,
    once,
    previewable_operation,
)
from billing.handlers.openapi import route_answers
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.services.invoices.fields import OneOffInvoiceCreate, OneOffResult
from billing.services.invoices.views import InvoiceList, InvoiceSummary
from billing.wiring import merchant as wiring

router = Router()


@router.get(
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
    answer = wiring.list_invoices()(current_tenant(), customer_id, limit, cursor)
    return json_answer(200, answer.model_dump(mode="json"))


@router.get(
    "/v1/customers/<customer_id>/invoices/upcoming",
    summary="The invoice so far: the next invoice as it would be if the period ended now",
    responses=route_answers(200, InvoiceSummary, "A preview, not stored or numbered", 404),
    tags=["invoices"],
)
def upcoming_invoice(customer_id: CustomerId) -> Response[str]:
    return json_answer(200, wiring.upcoming_invoice()(current_tenant(), customer_id).model_dump(mode="json"))


@router.get(
    "/v1/invoices/<invoice_id>",
    summary="Get an invoice with its whole document and page link",
    responses=route_answers(200, InvoiceSummary, "The invoice", 404),
    tags=["invoices"],
)
def get_invoice(invoice_id: InvoiceId) -> Response[str]:
    return json_answer(200, wiring.get_invoice()(current_tenant(), invoice_id).model_dump(mode="json"))


previewable_operation(
    "invoice.create", OneOffInvoiceCreate, wiring.create_one_off_invoice, "customer_id", 201, keyed=True
)


@router.post(
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
