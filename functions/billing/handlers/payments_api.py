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

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.page_answers import invoice_page, see_other
from billing.handlers.tracing import make_tracer
from billing.services.errors import InvoiceNotFound, PermanentError, RetryableError
from billing.services.payments import NothingToPay, PaymentsDisabled
from billing.wiring.core import start_payment

logger = Logger()
tracer = make_tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _checkout(token: str, kind: str) -> Response[Any]:
    use_case = start_payment()
    try:
        url = use_case.pay(token) if kind == "pay" else use_case.autopay(token)
    except InvoiceNotFound:
        return Response(404, "text/plain", "Not found")
    except (NothingToPay, PaymentsDisabled):
        return see_other(invoice_page(token))
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
    return see_other(url)


# GET for the page's links, POST for a form or a script: the same answer.
@app.route("/v1/pages/<token>/pay", method=["GET", "POST"])
def pay(token: str) -> Response[Any]:
    return _checkout(token, "pay")


@app.route("/v1/pages/<token>/autopay", method=["GET", "POST"])
def autopay(token: str) -> Response[Any]:
    return _checkout(token, "autopay")


lambda_handler = lambda_entry(app.resolve, logger=logger, tracer=tracer, metrics=metrics)
