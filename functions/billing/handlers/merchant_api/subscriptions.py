"""Routes of a customer's subscription: start, get, change plan, cancel; each can be previewed."""

from aws_lambda_powertools.event_handler import Response

from billing.handlers.merchant_api.app import (
    CustomerId,
    IdempotencyKey,
    NounRoutes,
    Preview,
    body_operation,
    current_tenant,
    once,
    view_answer,
)
from billing.services.subscriptions.fields import (
    Cancellation,
    ChangeResult,
    PlanChange,
    SubscriptionStart,
    SubscriptionView,
)
from billing.wiring import merchant as wiring

routes = NounRoutes("subscriptions")
router = routes.router

# Each verb's body goes to its use case with the customer of the path, and can be previewed.
for _name, _model, _use_case, _status in (
    ("subscription.start", SubscriptionStart, wiring.start_subscription, 201),
    ("subscription.change", PlanChange, wiring.change_plan, 200),
    ("subscription.cancel", Cancellation, wiring.cancel_subscription, 200),
):
    body_operation(_name, _model, _use_case, _status, owner="customer_id", previewable=True)


@routes.post(
    "/v1/customers/<customer_id>/subscription",
    "Start the customer's subscription (preview=true: show its first invoice, write nothing)",
    (201, ChangeResult, "The subscription and its first invoice's fees", 404, 409, 422),
)
def start_subscription(
    customer_id: CustomerId,
    body: SubscriptionStart,
    idempotency_key: IdempotencyKey,
    preview: Preview = False,
) -> Response[str]:
    return once("subscription.start", idempotency_key, body, {"customer_id": customer_id, "preview": preview})


@routes.get(
    "/v1/customers/<customer_id>/subscription",
    "Get the customer's subscription",
    (200, SubscriptionView, "The subscription", 404),
)
def get_subscription(customer_id: CustomerId) -> Response[str]:
    return view_answer(wiring.get_subscription()(current_tenant(), customer_id))


@routes.post(
    "/v1/customers/<customer_id>/subscription/change",
    "Change plan: an upgrade now, invoiced prorated; a downgrade at the period's end",
    (200, ChangeResult, "What changed and what was invoiced", 404, 409, 422),
)
def change_plan(
    customer_id: CustomerId, body: PlanChange, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once(
        "subscription.change", idempotency_key, body, {"customer_id": customer_id, "preview": preview}
    )


@routes.post(
    "/v1/customers/<customer_id>/subscription/cancel",
    "Cancel now (unused days credited on the next invoice) or at the period's end",
    (200, ChangeResult, "The cancelled subscription and the next invoice's credit", 404, 409, 422),
)
def cancel_subscription(
    customer_id: CustomerId, body: Cancellation, idempotency_key: IdempotencyKey, preview: Preview = False
) -> Response[str]:
    return once(
        "subscription.cancel", idempotency_key, body, {"customer_id": customer_id, "preview": preview}
    )
