"""Out to the merchant: the EventBridge bus, webhook endpoints in DynamoDB, the delivery queue, and
the HTTP POST of one signed delivery."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from botocore.exceptions import ClientError

from billing.adapters.aws import client, translate
from billing.adapters.dynamo.conditions import written
from billing.adapters.dynamo.models import WebhookEndpointModel
from billing.domain.outbox import OutboxEvent
from billing.services.errors import RetryableError
from billing.services.outbox.ports import Delivery, Endpoint
from billing.services.ports import Clock

SOURCE = "billing"
POST_TIMEOUT_SECONDS = 10


class DynamoWebhookEndpoints:
    def list(self, tenant_id: str) -> list[Endpoint]:
        return [
            _endpoint(i)
            for i in WebhookEndpointModel.query(
                tenant_id, WebhookEndpointModel.item_key.startswith("endpoint#")
            )
        ]

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        try:
            return _endpoint(WebhookEndpointModel.get(tenant_id, f"endpoint#{endpoint_id}"))
        except WebhookEndpointModel.DoesNotExist:
            return None

    def put(self, endpoint: Endpoint) -> None:
        WebhookEndpointModel(
            endpoint.tenant_id,
            f"endpoint#{endpoint.endpoint_id}",
            url=endpoint.url,
            secret=endpoint.secret,
            event_types=list(endpoint.event_types),
            enabled=endpoint.enabled,
        ).save()

    def remove(self, tenant_id: str, endpoint_id: str) -> bool:
        return written(
            partial(
                WebhookEndpointModel(tenant_id, f"endpoint#{endpoint_id}").delete,
                condition=WebhookEndpointModel.item_key.exists(),
            )
        )


def _endpoint(item: WebhookEndpointModel) -> Endpoint:
    return Endpoint(
        tenant_id=item.tenant_id,
        endpoint_id=item.item_key.split("#", 1)[1],
        url=item.url,
        secret=item.secret,
        event_types=tuple(item.event_types or ("*",)),
        enabled=bool(item.enabled),
    )


class SqsDeliveryQueue:
    def __init__(self, queue_url: str, dead_letter_url: str) -> None:
        self.queue_url = queue_url
        self.dead_letter_url = dead_letter_url

    def send(self, delivery: Delivery, delay_seconds: int = 0) -> None:
        self._send(self.queue_url, delivery, delay_seconds)

    def dead_letter(self, delivery: Delivery) -> None:
        self._send(self.dead_letter_url, delivery, 0)

    @staticmethod
    def _send(url: str, delivery: Delivery, delay: int) -> None:
        try:
            client("sqs").send_message(
                QueueUrl=url, MessageBody=json.dumps(delivery.to_message()), DelaySeconds=delay
            )
        except ClientError as error:
            raise translate(error, "queueing a webhook delivery") from error


@dataclass(kw_only=True, eq=False)
class EventBridgeAndWebhooks:
    """The outbox's merchant effect: the event on the tenant's bus (detail-type: the event type), and
    one queued delivery per webhook endpoint that wants it."""

    bus_name: str
    endpoints: DynamoWebhookEndpoints
    queue: SqsDeliveryQueue
    clock: Clock

    def publish(self, event: OutboxEvent) -> None:
        envelope = event.envelope()
        try:
            answer = client("events").put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": event.event_type,
                        "Detail": json.dumps(envelope, sort_keys=True),
                        "EventBusName": self.bus_name,
                        "Resources": [],
                        "Time": datetime.fromisoformat(envelope["occurred_at"]),
                    }
                ]
            )
        except ClientError as error:
            raise translate(error, "putting an event on the bus") from error
        if answer.get("FailedEntryCount"):
            raise RetryableError(f"the bus refused {event.event_id}: {answer['Entries']}")
        for delivery in Delivery.for_endpoints(
            self.endpoints.list(event.tenant_id), envelope, self.clock.now()
        ):
            self.queue.send(delivery)


class UrllibWebhookSender:
    def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        # The URL was checked when the endpoint was registered (https, or this machine).
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as answer:  # noqa: S310 - https checked on registration
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, TimeoutError, OSError):
            return 0
