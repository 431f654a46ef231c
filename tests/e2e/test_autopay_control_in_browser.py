"""The customer in control of how they pay, in a real browser (issue 17): they choose card autopay on the
page, the summary then states the method and its next date, and stop is one press away (a form, so it
works without JavaScript), confirmed by email. At 390 and 1280 px, JavaScript on and off."""

from __future__ import annotations

import pytest

from infra.axe import axe_violations
from infra.local_stack import ensure_stripe_stand_in
from tests.integration import stripe_support
from tests.integration.conftest import scenario_clock  # noqa: F401 - the fixture
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import issue

pytestmark = pytest.mark.e2e


def _pays_by_card(issued) -> None:
    from datetime import UTC, datetime

    from billing.wiring.core import invoice_pages, stripe_records

    now = datetime.now(UTC)
    records = stripe_records()
    customer_id = issued.stored.invoice.customer_id
    record = dict(records.customer_record(issued.tenant_id, customer_id))
    record["mandate"] = {
        "customer_ref": "cus_e2e",
        "payment_method_ref": "pm_card_visa",
        "mandate_ref": None,
        "status": "active",
        "activated_at": now.isoformat(),
        "setup_ref": "seti_e2e",
    }
    records.change_customer_record(issued.tenant_id, customer_id, lambda _: (record, None))
    records.update_invoice_record(
        issued.tenant_id,
        issued.stored.invoice_id,
        lambda r: r.with_autopay("active", now),
    )
    invoice_pages().publish(issued.refreshed())


@pytest.mark.parametrize(("width", "js"), [(390, True), (390, False), (1280, True), (1280, False)])
def test_autopay_by_card_is_stated_and_stopped_from_the_page(
    local_env,
    tenant_id,
    browser,
    artifacts,
    scenario_clock,  # noqa: F811
    width,
    js,
):
    # Written for 23 November 2026: the invoice of the 1 November run is not due yet
    scenario_clock(stripe_support.TODAY)
    fake = ensure_stripe_stand_in(local_env.server.url)
    issued = issue(local_env, f"{tenant_id}-{width}-{int(js)}", fake, payments={"retry_days": [0, 3, 7]})
    context = browser.new_context(viewport={"width": width, "height": 844}, java_script_enabled=js)
    page = context.new_page()
    try:
        # Given the customer pays automatically by card: a saved mandate, this invoice marked for it (what
        # Stripe's webhook records after the hosted setup page; that flow is tested in
        # tests/integration/test_stripe_autopay.py and, with the stop, test_autopay_control.py)
        _pays_by_card(issued)
        page.goto(issued.page_url)
        # Then the summary states the method in force and its next date, with stop one press away
        method = page.get_by_test_id("payment-method")
        assert method.get_attribute("data-method") == "card"
        assert "Nästa dragning:" in method.inner_text()
        assert page.get_by_test_id("status").get_attribute("data-status") == "debit_scheduled"
        tag = f"{width}-{'js' if js else 'nojs'}"
        page.screenshot(path=str(artifacts / f"autopay-in-force-{tag}.png"), full_page=True)
        if js:
            # axe is injected, which the page's CSP rightly forbids: a context that bypasses it
            checker = browser.new_context(viewport={"width": width, "height": 844}, bypass_csp=True)
            try:
                audited = checker.new_page()
                audited.goto(issued.page_url)
                assert axe_violations(audited) == []
            finally:
                checker.close()
        # When they press stop
        with page.expect_navigation():
            page.get_by_test_id("autopay-stop").locator("button").click()
        # Then their page asks them to pay by hand again, and a confirmation email has gone out
        page.goto(issued.page_url)
        assert page.get_by_test_id("payment-method").count() == 0
        assert page.get_by_test_id("pay-button").count() == 1
        page.screenshot(path=str(artifacts / f"autopay-stopped-{tag}.png"), full_page=True)
        subjects = [str(m.get("subject", "")) for m in emails_to(local_env.moto_url, issued.email)]
        assert sum(s.startswith("Automatisk betalning avslutad") for s in subjects) == 1, subjects
    finally:
        context.close()
