"""The customer pays from the emailed link in a real browser: Pay, the (local) Stripe Checkout page,
the webhook, back on their page that now says paid, and a receipt in their inbox."""

from __future__ import annotations

import re

import pytest

from infra.local_stack import ensure_stripe_stand_in
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import issue

pytestmark = pytest.mark.e2e


def test_the_customer_pays_from_the_email_and_the_page_turns_to_paid(
    local_env, tenant_id, browser, artifacts
):
    # Given a billing run that emailed a customer their invoice, and the local Stripe stand-in
    fake = ensure_stripe_stand_in(local_env.server.url)
    issued = issue(local_env, tenant_id, fake)
    (mail,) = emails_to(local_env.moto_url, issued.email)
    link = re.search(r"https?://[^\s\"<>]+/i/[A-Za-z0-9_-]+", mail["body"]).group(0)

    # When they open the link and click Pay
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(link)
    page.get_by_test_id("pay-button").click()

    # Then they are on the Checkout page for the amount due
    page.wait_for_url(re.compile(re.escape(fake.url) + r"/checkout/"))
    assert "Pay" in page.inner_text("h1")
    page.screenshot(path=str(artifacts / "pay-checkout.png"), full_page=True)

    # When they complete the payment
    page.click("#pay")

    # Then they are back on their invoice page, which says it is paid and offers nothing to pay
    page.wait_for_url(re.compile(re.escape(link) + r"(\?.*)?$"))
    page.reload()
    body = page.inner_text("body")
    assert page.get_by_test_id("pay-button").count() == 0
    assert re.search(r"Betald|Paid|Inget kvar att betala|Nothing left to pay", body), body[:400]
    page.screenshot(path=str(artifacts / "pay-paid.png"), full_page=True)
    stored = issued.refreshed()
    assert stored.status == "paid"
    # And a receipt was emailed
    receipts = [m for m in emails_to(local_env.moto_url, issued.email) if "Kvitto" in m["subject"]]
    assert len(receipts) == 1
    page.close()
