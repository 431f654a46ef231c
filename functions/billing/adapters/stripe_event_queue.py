"""The queue between the Stripe webhook and its processor (StripeEventQueue in template.yaml).

One message per verified delivery: `{"tenant_id", "event_id", "event"}`. Stripe's retries and SQS's
at-least-once delivery both mean the same event may be queued more than once; the processor applies
each (tenant, event id) once (billing.handlers.process_stripe_events).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from billing.adapters.aws import client, translate
from billing.services.errors import RetryableError


class SqsStripeEventQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def send(self, tenant_id: str, event: Mapping[str, Any]) -> None:
        body = json.dumps({"tenant_id": tenant_id, "event_id": event["id"], "event": event}, sort_keys=True)
        try:
            client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body)
        except ClientError as exc:
            raise translate(exc, "sqs send_message") from exc
        except BotoCoreError as exc:  # the endpoint unreachable: Stripe delivers again
            raise RetryableError(f"sqs send_message: {type(exc).__name__}") from exc
