"""Lambda: SES's bounce and complaint notifications, delivered by SNS (EmailFeedbackFunction, from
EmailFeedbackTopic). One SNS record carries one SES notification in `Sns.Message` (JSON text).

Each marks its email undelivered once (billing.services.deliveries.record_feedback). A notification
that is not SES's shape is logged with the field at fault and acknowledged (SNS retrying it would not
change it); a retryable failure raises, and SNS delivers the notification again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from billing.domain.email_feedback import FeedbackError
from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.engagement import record_email_feedback

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
_METRICS = {"undelivered": "EmailsUndelivered", "unknown_message": "EmailFeedbackUnknown"}


class SnsMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Message: str = Field(max_length=256 * 1024)


class SnsRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Sns: SnsMessage


class SnsEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Records: list[SnsRecord] = Field(max_length=100)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes: list[str] = []
    for record in SnsEvent.model_validate(event).Records:
        try:
            outcome = record_email_feedback()(record.Sns.Message)
        except FeedbackError as exc:
            logger.warning("not an SES notification", extra={"field": exc.field, "reason": exc.reason})
            outcome = "refused"
        outcomes.append(outcome)
        logger.info("email feedback", extra={"outcome": outcome})
        if outcome in _METRICS:
            metrics.add_metric(name=_METRICS[outcome], unit=MetricUnit.Count, value=1)
    return {"outcomes": outcomes}


lambda_handler = lambda_entry(handle, logger=logger, tracer=tracer, metrics=metrics)
