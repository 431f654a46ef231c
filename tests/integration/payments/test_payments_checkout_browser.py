"""The stand-in's hosted checkout page in a real browser: choose a method, Pay, back on our page; Cancel.

Only the stand-in and Chromium are needed (no local stack); the full demo flow through the invoice page
is tested in tests/e2e.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from payments_stand_in import API_KEY, WEBHOOK_SECRET

from billing.adapters.stripe_gateway import StripePaymentGateway
from billing.adapters.stripe_webhook import StripeWebhookVerifier
from billing.services.payments.ports import SessionRequest
from infra.stripe_fake import start_fake_stripe

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def shop() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Our side: an "invoice page" and a webhook endpoint that verifies what it receives."""
    verifier = StripeWebhookVerifier(WEBHOOK_SECRET)
    events: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            events.append(verifier.verify(body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            paid = any(e["type"] == "checkout.session.completed" for e in events)
            page = f"<html><body><p id=status>{'paid' if paid else 'due'}</p></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", events
    server.shutdown()
    server.server_close()


def test_pay_and_cancel_in_a_real_browser(shop, browser) -> None:
    base, events = shop
    fake = start_fake_stripe(webhook_url=f"{base}/webhooks/stripe", webhook_secret=WEBHOOK_SECRET)
    try:
        gateway = StripePaymentGateway(API_KEY, api_base=fake.url, max_network_retries=0)
        # Given a Checkout Session for 125.00 SEK offering card, Klarna and Swish
        session = gateway.create_checkout_session(
            SessionRequest(
                invoice_id="inv_1",
                attempt=1,
                currency="SEK",
                customer_email=None,
                success_url=f"{base}/inv_1?paid",
                cancel_url=f"{base}/inv_1",
                payment_methods=["card", "klarna", "swish"],
            ),
            amount=12500,
            description="Faktura",
        )
        cancel_me = gateway.create_checkout_session(
            SessionRequest(
                invoice_id="inv_2",
                attempt=1,
                currency="SEK",
                customer_email=None,
                success_url=f"{base}/inv_2?paid",
                cancel_url=f"{base}/inv_2?cancelled",
                payment_methods=["card"],
            ),
            amount=100,
            description="Faktura",
        )
        page = browser.new_page()
        # When the customer opens the page, picks Klarna and presses Pay
        page.goto(session.url)
        assert page.inner_text("h1") == "Pay 125.00 SEK"
        page.check("input[value=klarna]")
        page.click("#pay")
        # Then the browser is back on our page, which already knows it is paid
        page.wait_for_url(f"{base}/inv_1?paid")
        assert page.inner_text("#status") == "paid"
        # And another customer who presses Cancel is back on the invoice page, nothing paid
        page.goto(cancel_me.url)
        page.click("#cancel")
        page.wait_for_url(f"{base}/inv_2?cancelled")
        page.close()
        intent = events[1]["data"]["object"]
        assert [e["type"] for e in events] == ["checkout.session.completed", "payment_intent.succeeded"]
        assert intent["payment_method_types"] == ["klarna"] and intent["amount_received"] == 12500
    finally:
        fake.stop()
