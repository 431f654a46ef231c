"""How the merchant API answers what went wrong: every error as RFC 9457 problem+json naming the field."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from billing.handlers.merchant_api.app import app, problem_answer
from billing.services.credit_notes.create import CreditRefused
from billing.services.customers.create import CustomerExists
from billing.services.customers.get import CustomerNotFound
from billing.services.customers.update import CustomerChanged, InvalidFields
from billing.services.errors import PermanentError, validation_errors
from billing.services.subscriptions.documents import NoSubscription, SubscriptionConflict


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[str]:
    errors = validation_errors(error.errors())
    return problem_answer(400, f"{len(errors)} field(s) are not valid", errors=errors)


@app.exception_handler(RequestUnsupportedContentType)
def _not_json(_: RequestUnsupportedContentType) -> Response[str]:
    return problem_answer(
        415, "send the body as application/json", field="Content-Type", kind="unsupported-media-type"
    )


@app.exception_handler(InvalidFields)
def _invalid_fields(error: InvalidFields) -> Response[str]:
    return problem_answer(400, f"{len(error.errors)} field(s) are not valid", errors=error.errors)


@app.exception_handler(CustomerNotFound)
@app.exception_handler(NoSubscription)
def _not_found(error: PermanentError) -> Response[str]:
    return problem_answer(404, error.reason, field=error.field)


@app.exception_handler(CustomerExists)
@app.exception_handler(CustomerChanged)
@app.exception_handler(SubscriptionConflict)
@app.exception_handler(CreditRefused)
def _conflict(error: PermanentError) -> Response[str]:
    return problem_answer(409, error.reason, field=error.field)


@app.exception_handler(PermanentError)
def _refused(error: PermanentError) -> Response[str]:
    return problem_answer(404 if error.code == "not_found" else 400, error.reason, field=error.field)


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    return problem_answer(404, "no such route")
