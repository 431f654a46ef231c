"""Lambda: the invoice page's Pay and "pay automatically" links (template: PaymentsApiFunction).

`GET /v1/pages/{token}/pay` creates (or, for the same attempt, finds again) a Stripe Checkout Session
for the amount still due and answers 303 to it; `GET /v1/pages/{token}/autopay` does the same in setup
mode to save a payment method. They are links, not forms, because the page's Pay button is a link: a
link works in every mail client's browser, and a repeated GET is harmless because the session is
created once per invoice and attempt. POST is accepted too, for a form or a script. When there is
nothing to pay (paid meanwhile, credited) the customer is sent back to the page, which says so.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, PermanentError, RetryableError
from billing.services.payments import NothingToPay, PaymentsDisabled
from billing.settings import settings
from billing.wiring.core import start_payment

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _redirect(url: str) -> Response[Any]:
    return Response(303, "text/plain", "", headers={"Location": url, "Cache-Control": "no-store"})


def _checkout(token: str, kind: str) -> Response[Any]:
    use_case = start_payment()
    try:
        url = use_case.pay(token) if kind == "pay" else use_case.autopay(token)
    except InvoiceNotFound:
        return Response(404, "text/plain", "Not found")
    except (NothingToPay, PaymentsDisabled):
        return _redirect(f"{settings().pages_base_url}/i/{token}")
    except RetryableError as exc:
        logger.warning("checkout not started", extra={"kind": kind, "code": exc.code})
        return Response(
            503, "text/plain; charset=utf-8", "Payment is unavailable right now; please try again."
        )
    except PermanentError as exc:
        # Our request or configuration is wrong: nothing the customer can fix. Codes only, never input.
        logger.error("checkout refused", extra={"kind": kind, "code": exc.code, "field": exc.field})
        metrics.add_metric(name="CheckoutRefused", unit=MetricUnit.Count, value=1)
        return Response(
            502, "text/plain; charset=utf-8", "Payment could not be started; please pay from your bank."
        )
    metrics.add_metric(
        name="CheckoutStarted" if kind == "pay" else "AutopayStarted", unit=MetricUnit.Count, value=1
    )
    return _redirect(url)


@app.get("/v1/pages/<token>/pay")
def pay(token: str) -> Response[Any]:
    return _checkout(token, "pay")


@app.post("/v1/pages/<token>/pay")
def pay_post(token: str) -> Response[Any]:
    return _checkout(token, "pay")


@app.get("/v1/pages/<token>/autopay")
def autopay(token: str) -> Response[Any]:
    return _checkout(token, "autopay")


@app.post("/v1/pages/<token>/autopay")
def autopay_post(token: str) -> Response[Any]:
    return _checkout(token, "autopay")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
