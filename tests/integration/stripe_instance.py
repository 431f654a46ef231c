"""One Lambda instance of the Stripe webhook, in its own process, for the concurrency test.

`python -m tests.integration.stripe_instance TENANT BODY_FILE SIGNATURE START_AT`: imports everything,
waits until the wall clock reaches START_AT (so two processes deliver at the same moment), calls the
webhook handler with an API Gateway event carrying BODY_FILE's bytes, delivers the queue to the
processor as Lambda's event source mapping would, and prints the HTTP status it answered. The local
stack's environment comes from the parent (the test session's `local_env`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from infra.local_lambda import LambdaContext, handler_for, http_api_event, lambda_output
from infra.local_server import deliver_queues_fed_by

HANDLER = "billing.handlers.stripe_webhook.lambda_handler"


def main(tenant_id: str, body_file: str, signature: str, start_at: float) -> int:
    body = Path(body_file).read_bytes()
    handler = handler_for("StripeWebhookFunction")
    handler_for("ProcessStripeEventsFunction")  # imported before the moment, as a warm instance is
    event = http_api_event(
        method="POST",
        raw_path=f"/v1/webhooks/stripe/{tenant_id}",
        route_key="POST /v1/webhooks/stripe/{tenant_id}",
        path_parameters={"tenant_id": tenant_id},
        headers={"content-type": "application/json", "stripe-signature": signature},
        query="",
        body=body,
    )
    time.sleep(max(0.0, start_at - time.time()))
    with lambda_output():
        response = handler(event, LambdaContext(function_name="StripeWebhookFunction"))
    deliver_queues_fed_by(HANDLER)
    print(response["statusCode"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
