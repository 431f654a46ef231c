"""Routes of invoices: a customer's list, the upcoming one, one invoice, and a one-off invoice created."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.handlers.merchant_api.app import (
    CustomerId,
    IdempotencyKey,
    InvoiceId,
    NounRoutes,
    Preview,
    body_operation,
    current_tenant,
    once,
    view_answer,
)
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.services.invoices.fields import OneOffInvoiceCreate, OneOffResult
from billing.services.invoices.views import InvoiceList, InvoiceSummary
from billing.wiring import merchant as wiring

routes = NounRoutes("invoices")
router = routes.router


@routes.get(
    "/v1/customers/<customer_id>/invoices",
    "List a customer's invoices, newest first, a page at a time",
    (200, InvoiceList, "A page of invoices"),
)
def list_invoices(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return view_answer(wiring.list_invoices()(current_tenant(), customer_id, limit, cursor))


@routes.get(
    "/v1/customers/<customer_id>/invoices/upcoming",
    "The invoice so far: the next invoice as it would be if the period ended now",
    (200, InvoiceSummary, "A preview, not stored or numbered", 404),
)
def upcoming_invoice(customer_id: CustomerId) -> Response[str]:
    return view_answer(wiring.upcoming_invoice()(current_tenant(), customer_id))


@routes.get(
    "/v1/invoices/<invoice_id>",
    "Get an invoice with its whole document and page link",
    (200, InvoiceSummary, "The invoice", 404),
)
def get_invoice(invoice_id: InvoiceId) -> Response[str]:
    return view_answer(wiring.get_invoice()(current_tenant(), invoice_id))


body_operation(
    "invoice.create",
    OneOffInvoiceCreate,
    wiring.create_one_off_invoice,
    201,
    owner="customer_id",
    previewable=True,
    keyed=True,
)


@routes.post(
    "/v1/customers/<customer_id>/invoices",
    "Issue a one-off invoice of items (preview=true: show it, write nothing)",
    (201, OneOffResult, "The numbered invoice with its page", 404, 409, 422),
)
def create_one_off_invoice(
    customer_id: CustomerId,
    body: OneOffInvoiceCreate,
    idempotency_key: IdempotencyKey,
    preview: Preview = False,
) -> Response[str]:
    return once("invoice.create", idempotency_key, body, {"customer_id": customer_id, "preview": preview})
