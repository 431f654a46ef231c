"""A customer follows the emailed link and sees their invoice, in a real browser."""

from __future__ import annotations

import re
from datetime import date

import pytest

from billing.wiring.core import invoice_ledger
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, invoices_of

pytestmark = pytest.mark.e2e

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


def test_the_customer_opens_the_link_from_the_email_and_sees_what_to_pay(
    local_env, tenant_id, browser, artifacts
):
    # Given a billing run that emailed a customer their invoice
    seeded = demo.seed(1, TODAY, tenant_id, RUN_DATE)
    run_billing(tenant_id, RUN_DATE)
    customer = seeded["customers"][0]
    (mail,) = emails_to(local_env.moto_url, customer.email)
    link = re.search(r"https?://[^\s\"<>]+/i/[A-Za-z0-9_-]+", mail["body"]).group(0)
    (item,) = invoices_of(tenant_id)
    stored = invoice_ledger().get(tenant_id, item.invoice_id)

    # When they open the link in a browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    response = page.goto(link)

    # Then they see their name, the amount due, the due date and the payment reference
    assert response is not None and response.status == 200
    body = page.inner_text("body")
    assert customer.profile["name"] in body
    amount = page.get_by_test_id("amount-due").inner_text()
    assert re.sub(r"\D", "", amount).startswith(str(stored.amount_due // 100))
    assert page.get_by_test_id("due-date").inner_text().strip() != ""
    assert page.get_by_test_id("ocr").inner_text().replace(" ", "") == stored.invoice.ocr
    assert page.get_by_test_id("invoice-number").inner_text().strip() == stored.invoice.number
    page.screenshot(path=str(artifacts / "invoice-desktop.png"), full_page=True)
    mobile = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    mobile.goto(link)
    mobile.screenshot(path=str(artifacts / "invoice-mobile.png"), full_page=True)
    page.close()
    mobile.close()
