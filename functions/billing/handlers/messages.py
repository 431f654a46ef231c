"""The bodies of our own SQS queues, read by pydantic at the worker's boundary: the billing run's
InvoiceRequested (InvoiceQueue) and a webhook delivery (WebhookDeliveryQueue). Each maps onto the
service's dataclass, whose `to_message` wrote it. A body that is not what we send is a `BadEvent`
naming its field; the record fails, and after five receives it waits in the queue's dead-letter queue,
which alarms: it is kept for a person, never dropped. Imported at the first record, so the worker's
cold start does not load pydantic (tests/unit/test_cold_imports.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints, ValidationError, field_validator

from billing.handlers.events import BadEvent
from billing.services.billing_run import InvoiceRequested
from billing.services.errors import document_refusal
from billing.services.outbox.webhooks import Delivery

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
M = TypeVar("M", bound=BaseModel)


class InvoiceRequestedMessage(BaseModel):
    """One customer in one billing run (InvoiceRequested.to_message)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["InvoiceRequested"]
    tenant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    customer_id: Id
    run_id: Id
    run_date: Annotated[date, Strict()]  # an ISO date string; never a number read as a timestamp

    def request(self) -> InvoiceRequested:
        return InvoiceRequested(self.tenant_id, self.customer_id, self.run_id, self.run_date)


class WebhookDeliveryMessage(BaseModel):
    """One event for one merchant endpoint, first sent or queued again after a failed attempt
    (Delivery.to_message)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    endpoint_id: Id
    event: dict[str, Any]
    first_attempt_at: str  # the three days of retries count from here
    attempt: Annotated[int, Strict(), Field(ge=1)] = 1
    last_status: str | None = None

    @field_validator("first_attempt_at")
    @classmethod
    def _an_instant(cls, value: str) -> str:
        if datetime.fromisoformat(value).tzinfo is None:
            raise ValueError("an ISO 8601 instant with its offset")
        return value

    @field_validator("event")
    @classmethod
    def _an_envelope(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value.get("id"), str) or not isinstance(value.get("type"), str):
            raise ValueError("an event envelope with its id and type")
        return value

    def delivery(self) -> Delivery:
        return Delivery(**self.model_dump())


def read_message(model: type[M], body: str | bytes) -> M:
    """The queue message `body` (JSON) as `model`, or `BadEvent` naming the first field at fault."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        field, reason = document_refusal(exc.errors())
        raise BadEvent(reason, field=field or "body", code="bad_message") from None
