"""Routes of the merchant's customers: create, list, get, update (docs/api.md)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.handlers.merchant_api.app import (
    CustomerId,
    IdempotencyKey,
    NounRoutes,
    body_operation,
    current_tenant,
    once,
    view_answer,
)
from billing.services.customers.fields import (
    CustomerCreate,
    CustomerList,
    CustomerUpdate,
    CustomerView,
)
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.wiring import merchant as wiring

routes = NounRoutes("customers")
router = routes.router

body_operation("customer.create", CustomerCreate, wiring.create_customer, 201)
body_operation("customer.update", CustomerUpdate, wiring.update_customer, 200, owner="customer_id")


@routes.post("/v1/customers", "Create a customer", (201, CustomerView, "The customer", 409, 422))
def create_customer(body: CustomerCreate, idempotency_key: IdempotencyKey) -> Response[str]:
    return once("customer.create", idempotency_key, body)


@routes.get(
    "/v1/customers",
    "List customers, a page at a time",
    (200, CustomerList, "A page of customers in id order"),
)
def list_customers(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return view_answer(wiring.list_customers()(current_tenant(), limit, cursor))


@routes.get("/v1/customers/<customer_id>", "Get a customer", (200, CustomerView, "The customer", 404))
def get_customer(customer_id: CustomerId) -> Response[str]:
    return view_answer(wiring.get_customer()(current_tenant(), customer_id))


@routes.post(
    "/v1/customers/<customer_id>",
    "Change a customer's details (only the fields sent)",
    (200, CustomerView, "The customer as changed", 404, 409, 422),
)
def update_customer(
    customer_id: CustomerId, body: CustomerUpdate, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("customer.update", idempotency_key, body, {"customer_id": customer_id})
