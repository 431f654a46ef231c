"""Routes of a customer's subscription: start, get, change plan, cancel; each can be previewed."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from billing.handlers.merchant_api.app import (
    CustomerId,
    IdempotencyKey,
    Preview,
    current_tenant,
    json_answer,
    once,
    previewable_operation,
)
from billing.handlers.openapi import route_answers
from billing.services.subscriptions.fields import (
    Cancellation,
    ChangeResult,
    PlanChange,
    SubscriptionStart,
    SubscriptionView,
)
from billing.wiring import merchant as wiring

router = Router()


previewable_operation("subscription.start", SubscriptionStart, wiring.start_subscription, "customer_id", 201)
previewable_operation("subscription.change", PlanChange, wiring.change_plan, "customer_id", 200)
previewable_operation("subscription.cancel", Cancellation, wiring.cancel_subscription, "customer_id", 200)


@router.post(
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


@router.get(
    "/v1/customers/<customer_id>/subscription",
    summary="Get the customer's subscription",
    responses=route_answers(200, SubscriptionView, "The subscription", 404),
    tags=["subscriptions"],
)
def get_subscription(customer_id: CustomerId) -> Response[str]:
    return json_answer(200, wiring.get_subscription()(current_tenant(), customer_id).model_dump(mode="json"))


@router.post(
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


@router.post(
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
