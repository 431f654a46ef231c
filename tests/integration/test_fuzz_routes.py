"""Fuzz: the Stripe webhook and every route the invoice page reaches, 10,000 mutated requests each
(FUZZ_REQUESTS to change it), signed and unsigned for the webhook. No answer may be a 5xx and no
handler may raise; every failure class this found has its own test (test_stripe_convergence.py and
test_fuzz_classes below).

Handlers are called in this process with API Gateway's payload-format-2.0 events against the
session's local stack (see tests/integration/fuzz_support.py). The webhook's queue is replaced by a
list for the fuzz: what a signed mutation gets queued is then mapped and folded into an invoice's
payments in memory, where anything but a named refusal (`PaymentDataError`) would be a processor
failure the dead-letter queue would collect.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import time
from datetime import date
from typing import Any

import pytest

from billing.adapters.stripe_event_reader import to_domain_event
from billing.domain.payments import InvoicePayments, PaymentDataError, apply_event
from infra.local_lambda import handler_for
from infra.stripe_fake import DEFAULT_WEBHOOK_SECRET
from tests.integration import stripe_support
from tests.integration.fuzz_support import FuzzReport, Seed, describe, fuzz
from tests.integration.stripe_support import event, issue, payment_intent

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture
REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "10000"))
# Of each page route's requests, how many carry the real token and go all the way (about 30 ms each
# against the local stack, where the others take well under one): FUZZ_DEEP for a longer run.
DEEP = int(os.environ.get("FUZZ_DEEP", "40"))


def _sign(body: bytes) -> str:
    stamp = int(time.time())
    mac = hmac.new(DEFAULT_WEBHOOK_SECRET.encode(), b"%d." % stamp + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


class _ListQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, tenant_id: str, event: dict[str, Any]) -> None:
        self.sent.append((tenant_id, event))


def test_the_webhook_never_answers_5xx_and_what_it_queues_never_breaks_the_processor(
    local_env, tenant_id, stripe_fake, monkeypatch
):
    # Given an issued invoice and a valid signed payment event for it
    issued = issue(local_env, tenant_id, stripe_fake)
    valid = event(
        "payment_intent.succeeded", {**payment_intent(issued.stored, 1000), "latest_charge": "ch_1"}
    )
    from billing.handlers import stripe_webhook

    queue = _ListQueue()
    monkeypatch.setattr(stripe_webhook, "queue", lambda: queue)
    seed = Seed(
        "POST",
        "/v1/webhooks/stripe/{tenant_id}",
        {"tenant_id": tenant_id},
        body=__import__("json").dumps(valid).encode(),
        headers={"content-type": "application/json", "stripe-signature": _sign(b"")},
        sign=_sign,
    )
    # When 10,000 mutations of it arrive, half of them signed with the tenant's secret
    report = fuzz(
        handler_for("StripeWebhookFunction"), "StripeWebhookFunction", seed, REQUESTS, random.Random(19)
    )
    # Then none is a 5xx, some were accepted (signed) and many refused
    assert not report.failures, describe({"webhook": report})
    assert report.statuses[200] > 0 and report.statuses[400] > 0, describe({"webhook": report})
    # And everything queued is either applied or refused by name by the processor's domain
    processor = FuzzReport()
    aggregate = InvoicePayments(
        invoice_total=issued.stored.amount_due, currency=issued.stored.invoice.currency
    )
    for _, queued in queue.sent:
        processor.sent += 1
        try:
            apply_event(aggregate, to_domain_event(queued))
        except PaymentDataError:
            processor.statuses[200] += 1
        except Exception as exc:  # a crash the queue would retry into the dead-letter queue
            klass = f"{type(exc).__name__}: {exc}"[:120]
            processor.failures[klass] += 1
            processor.examples.setdefault(klass, str(queued)[:300])
    assert not processor.failures, describe({"processor": processor})


def _page_seeds(token: str, today: date) -> dict[str, Seed]:
    form = {"content-type": "application/x-www-form-urlencoded"}
    later = date.fromordinal(today.toordinal() + 20).isoformat()
    return {
        "GET seen": Seed("GET", "/v1/pages/{token}/seen", {"token": token}),
        "POST questions": Seed(
            "POST", "/v1/pages/{token}/questions", {"token": token}, b"text=Why+so+high%3F&line_id=1", form
        ),
        "POST feedback": Seed(
            "POST", "/v1/pages/{token}/feedback", {"token": token}, b"score=4&text=fine", form
        ),
        "GET offers": Seed(
            "GET", "/v1/pages/{token}/offers/{offer_id}", {"token": token, "offer_id": "plus-upgrade"}
        ),
        "GET pay": Seed("GET", "/v1/pages/{token}/pay", {"token": token}),
        "POST pay": Seed("POST", "/v1/pages/{token}/pay", {"token": token}, b"", form),
        "GET autopay": Seed("GET", "/v1/pages/{token}/autopay", {"token": token}),
        "POST autopay": Seed("POST", "/v1/pages/{token}/autopay", {"token": token}, b"", form),
        "GET autogiro": Seed("GET", "/v1/pages/{token}/autogiro", {"token": token}),
        "POST autogiro": Seed(
            "POST",
            "/v1/pages/{token}/autogiro",
            {"token": token},
            b"personnummer=198112189876&clearing=5000&account_number=1111116&consent=yes",
            form,
        ),
        "GET relief": Seed("GET", "/v1/pages/{token}/relief", {"token": token}),
        "POST relief/move": Seed(
            "POST", "/v1/pages/{token}/relief/move", {"token": token}, f"due_date={later}".encode(), form
        ),
        "POST relief/split": Seed(
            "POST",
            "/v1/pages/{token}/relief/split",
            {"token": token},
            f"instalments=2&first_due={later}".encode(),
            form,
        ),
    }


_FUNCTION_OF = {
    "seen": "InvoiceApiFunction",
    "questions": "InvoiceApiFunction",
    "feedback": "InvoiceApiFunction",
    "offers": "InvoiceApiFunction",
    "pay": "PaymentsApiFunction",
    "autopay": "PaymentsApiFunction",
    "autogiro": "AutogiroApiFunction",
    "relief": "ReliefApiFunction",
    "relief/move": "ReliefApiFunction",
    "relief/split": "ReliefApiFunction",
}


def test_no_page_action_route_answers_5xx_to_any_request(local_env, tenant_id, stripe_fake):
    # Given an issued invoice whose page offers every action
    issued = issue(local_env, tenant_id, stripe_fake)
    seeds = _page_seeds(issued.stored.page_token, stripe_support.TODAY)
    # When each route gets 10,000 mutations of its valid request
    reports = {}
    for route, seed in seeds.items():
        seed.token_param, seed.deep = "token", DEEP
        function = _FUNCTION_OF[route.split(" ", 1)[1]]
        reports[route] = fuzz(handler_for(function), function, seed, REQUESTS, random.Random(route))
    # Then no answer is a 5xx and no handler raised
    assert not any(r.failures for r in reports.values()), describe(reports)
    assert all(sum(r.statuses.values()) == REQUESTS for r in reports.values())


# --------------------------------------------------------------------------------------------------
# One test per failure class the fuzz found (each answered 500 before it was mended)
# --------------------------------------------------------------------------------------------------


def _call(function: str, method: str, path: str, params: dict[str, str], raw: bytes, **event: Any) -> int:
    from infra.local_lambda import LambdaContext, http_api_event, lambda_output

    request = http_api_event(
        method=method,
        raw_path=path.format(**params),
        route_key=f"{method} {path}",
        path_parameters=params,
        headers={"content-type": "application/x-www-form-urlencoded"},
        query="",
        body=raw,
    )
    request.update(event)
    with lambda_output():
        answer = handler_for(function)(request, LambdaContext(function_name=function))
    return int(answer["statusCode"])


_FORM_ROUTES = [
    ("InvoiceApiFunction", "/v1/pages/{token}/questions"),
    ("InvoiceApiFunction", "/v1/pages/{token}/feedback"),
    ("ReliefApiFunction", "/v1/pages/{token}/relief/move"),
    ("ReliefApiFunction", "/v1/pages/{token}/relief/split"),
    ("AutogiroApiFunction", "/v1/pages/{token}/autogiro"),
]


def test_a_form_body_that_is_base64_of_bytes_not_utf8_is_refused_not_a_500(local_env, tenant_id, stripe_fake):
    # Given a real page (its token)
    issued = issue(local_env, tenant_id, stripe_fake)
    params = {"token": issued.stored.page_token}
    for function, path in _FORM_ROUTES:
        # When a form arrives as base64 because it is not UTF-8 (b"\x8a\xf0123"), or as broken base64
        garbled = _call(function, "POST", path, params, b"", body="ivAxMjM=", isBase64Encoded=True)
        broken = _call(function, "POST", path, params, b"", body="%%%not base64", isBase64Encoded=True)
        # Then it is a refusal (a form with fields we cannot use), never a 500
        assert 400 <= garbled < 500 and 400 <= broken < 500, path


@pytest.mark.parametrize("token", ["A" * 2000, "ä" * 40, "abc", "A" * 31 + "\x00"])
def test_a_token_no_invoice_can_have_is_not_found_without_a_lookup(local_env, token):
    # An over-long key would be a DynamoDB ValidationException (a 500) if it were looked up
    assert (
        _call("InvoiceApiFunction", "POST", "/v1/pages/{token}/questions", {"token": token}, b"text=hi")
        == 404
    )
    assert _call("PaymentsApiFunction", "GET", "/v1/pages/{token}/pay", {"token": token}, b"") == 404
