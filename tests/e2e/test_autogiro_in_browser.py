"""The customer gives an Autogiro mandate from their invoice page in a real browser: the link, the
form refusing a wrong personnummer by its field, the consent, and back on the invoice page that says
the mandate waits for the bank."""

from __future__ import annotations

import re
from datetime import date

import pytest

from billing.adapters.dynamo.models import TenantModel
from infra import demo
from infra.local_run import run_billing
from tests.integration.helpers import invoices_of

pytestmark = pytest.mark.e2e

RUN_DATE = date(2026, 11, 1)
TODAY = date(2026, 11, 23)


def test_the_customer_gives_an_autogiro_mandate_from_the_invoice_page(
    local_env, tenant_id, browser, artifacts
):
    # Given an invoice of a tenant with an Autogiro agreement
    demo.seed(1, TODAY, tenant_id, RUN_DATE)
    tenant = TenantModel.get(tenant_id)
    tenant.page = {**(tenant.page or {}), "autogiro": {"customer_number": "471117"}}
    tenant.save()
    run_billing(tenant_id, RUN_DATE)
    (invoice,) = invoices_of(tenant_id)
    link = f"{local_env.server.url}/i/{invoice.page_token}"

    # When the customer follows "set up automatic payment"
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(link)
    # (the tenant offers card and Autogiro: the customer chooses, issue 17)
    page.locator("[data-testid='autopay-link'][data-method='autogiro']").click()
    page.wait_for_url(re.compile(r"/autogiro$"))
    assert "Autogiro" in page.inner_text("h1")

    # And gives a personnummer with a wrong check digit
    page.fill("#personnummer", "19121212-1213")
    page.fill("#clearing", "5000")
    page.fill("#account_number", "1111116")
    page.check("#consent")
    page.click("button[type=submit]")
    # Then the form comes back with that field marked and the clearing number kept; the personnummer
    # and the account number are never sent back (personal data in an answer: docs/privacy.md)
    error = page.get_by_test_id("form-error")
    assert error.get_attribute("data-field") == "personnummer"
    assert page.get_attribute("#personnummer", "aria-invalid") == "true"
    assert page.input_value("#clearing") == "5000"
    assert page.input_value("#personnummer") == "" and page.input_value("#account_number") == ""
    assert "1111116" not in page.content() and "19121212-1213" not in page.content()
    page.screenshot(path=str(artifacts / "autogiro-form-error.png"), full_page=True)

    # When they correct it, type the account number again and approve
    page.fill("#personnummer", "19121212-1212")
    page.fill("#account_number", "1111116")
    page.check("#consent")
    page.click("button[type=submit]")
    # Then they are back on the invoice page, which says the mandate waits for the bank
    page.wait_for_url(link)
    notice = page.get_by_test_id("payment-notice-text")  # in the summary since issue 17
    assert re.search(r"väntar|waiting", notice.inner_text()), notice.inner_text()
    assert page.get_by_test_id("autopay-link").count() == 0
    # And the summary says the debit follows once approved: not Unpaid, no Pay button (issue 17)
    assert page.get_by_test_id("status").get_attribute("data-status") == "autopay_pending"
    assert page.get_by_test_id("pay-button").count() == 0
    page.screenshot(path=str(artifacts / "autogiro-pending.png"), full_page=True)
    page.close()
