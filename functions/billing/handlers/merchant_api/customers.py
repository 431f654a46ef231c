"""Routes of the merchant's customers: create, list, get, update (docs/api.md)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.handlers.api_operations import operation
from billing.handlers.merchant_api.app import CustomerId, IdempotencyKey, current_tenant, json_answer, once
from billing.handlers.openapi import route_answers
from billing.services.customers.fields import (
    CustomerCreate,
    CustomerList,
    CustomerUpdate,
    CustomerView,
)
from billing.services.customers.list import DEFAULT_LIMIT, MAX_LIMIT
from billing.wiring import merchant as wiring

router = Router()


@operation("customer.create")
def _create_customer(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    view = wiring.create_customer()(tenant_id, CustomerCreate.model_validate(request["body"]))
    return 201, view.model_dump(mode="json")


@operation("customer.update")
def _update_customer(tenant_id: str, request: dict[str, Any]) -> tuple[int, Any]:
    body = CustomerUpdate.model_validate(request["body"])
    view = wiring.update_customer()(tenant_id, request["path"]["customer_id"], body)
    return 200, view.model_dump(mode="json")


@router.post(
    "/v1/customers",
    summary="Create a customer",
    responses=route_answers(201, CustomerView, "The customer", 409, 422),
    tags=["customers"],
)
def create_customer(body: CustomerCreate, idempotency_key: IdempotencyKey) -> Response[str]:
    return once("customer.create", idempotency_key, body)


@router.get(
    "/v1/customers",
    summary="List customers, a page at a time",
    responses=route_answers(200, CustomerList, "A page of customers in id order"),
    tags=["customers"],
)
def list_customers(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return json_answer(200, wiring.list_customers()(current_tenant(), limit, cursor).model_dump(mode="json"))


@router.get(
    "/v1/customers/<customer_id>",
    summary="Get a customer",
    responses=route_answers(200, CustomerView, "The customer", 404),
    tags=["customers"],
)
def get_customer(customer_id: CustomerId) -> Response[str]:
    return json_answer(200, wiring.get_customer()(current_tenant(), customer_id).model_dump(mode="json"))


@router.post(
    "/v1/customers/<customer_id>",
    summary="Change a customer's details (only the fields sent)",
    responses=route_answers(200, CustomerView, "The customer as changed", 404, 409, 422),
    tags=["customers"],
)
def update_customer(
    customer_id: CustomerId, body: CustomerUpdate, idempotency_key: IdempotencyKey
) -> Response[str]:
    return once("customer.update", idempotency_key, body, {"customer_id": customer_id})
