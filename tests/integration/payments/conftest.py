"""The Stripe stand-in on 127.0.0.1, a webhook receiver it delivers to, and a gateway pointed at it.

These tests need no DynamoDB and no moto: only real HTTP between the Stripe SDK and the stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from payments_stand_in import API_KEY, WEBHOOK_SECRET, Receiver

from billing.adapters.stripe_gateway import StripePaymentGateway
from billing.adapters.stripe_webhook import StripeWebhookVerifier
from infra.stripe_fake import FakeStripe, start_fake_stripe


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    collected = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            collected.deliveries.append((body, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(collected.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    collected.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe"
    yield collected
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def fake(receiver: Receiver) -> Iterator[FakeStripe]:
    stand_in = start_fake_stripe(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET)
    yield stand_in
    stand_in.stop()


@pytest.fixture
def gateway(fake: FakeStripe) -> StripePaymentGateway:
    # No SDK retries: a refused request must surface at once.
    return StripePaymentGateway(API_KEY, api_base=fake.url, max_network_retries=0)


@pytest.fixture
def verifier() -> StripeWebhookVerifier:
    return StripeWebhookVerifier(WEBHOOK_SECRET)
