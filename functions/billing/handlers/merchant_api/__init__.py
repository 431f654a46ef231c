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

from billing.handlers.merchant_api import (
    catalog,
    credit_notes,
    customers,
    errors,  # noqa: F401  (registers the problem+json answers on app)
    invoices,
    questions,
    subscriptions,
)
from billing.handlers.merchant_api.app import app
from billing.handlers.merchant_api.document import openapi_json
from billing.handlers.merchant_api.entry import lambda_handler

# One router per noun, included in this order: it is the order of the OpenAPI document's paths.
for _noun in (customers, subscriptions, invoices, questions, credit_notes, catalog):
    app.include_router(_noun.router)

__all__ = ["app", "lambda_handler", "openapi_json"]
