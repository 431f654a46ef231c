"""What the customer keeps in their own hands, in a real browser (issue 18): setting a spend alert on
the invoice page, downloading their usage, leaving in two steps, or pausing instead. At 390 px,
JavaScript on and off (every step is a plain link or form); axe on each page; screenshots in
artifacts/e2e/."""

from __future__ import annotations

from typing import Any

import pytest

from infra.axe import axe_violations
from tests.integration.conftest import scenario_clock  # noqa: F401 - the fixture
from tests.integration.helpers import emails_to
from tests.integration.test_customer_exit_and_data import _page_token
from tests.integration.test_spend_alerts import TODAY, _minutes, _post, _tenant

pytestmark = pytest.mark.e2e


def _axe_clean(browser: Any, url: str, width: int) -> None:
    # axe is injected, which the page's CSP rightly forbids: a context that bypasses it
    checker = browser.new_context(viewport={"width": width, "height": 844}, bypass_csp=True)
    try:
        audited = checker.new_page()
        audited.goto(url)
        assert axe_violations(audited) == []
    finally:
        checker.close()


@pytest.mark.parametrize(("width", "js"), [(390, True), (390, False)])
def test_alert_download_and_exit_from_the_invoice_page(
    local_env,
    tenant_id,
    browser,
    artifacts,
    scenario_clock,  # noqa: F811
    width,
    js,
):
    scenario_clock(TODAY)
    tenant = f"{tenant_id}-{int(js)}"
    key, (customer,) = _tenant(tenant)
    assert _post(local_env.server.url, key, {"events": _minutes("e2e", 12)})[1]["accepted"] == 12
    page_url = f"{local_env.server.url}/i/{_page_token(tenant, 'c00001')}"
    tag = f"{width}-{'js' if js else 'nojs'}"
    context = browser.new_context(
        viewport={"width": width, "height": 844}, java_script_enabled=js, accept_downloads=True
    )
    page = context.new_page()
    try:
        # Given the customer's invoice page, with no alert set
        page.goto(page_url)
        block = page.get_by_test_id("spend-alert")
        assert "Ingen avisering" in block.inner_text()
        # When they ask to be told when the month passes 750 kr
        page.get_by_label("Säg till när månaden passerar").fill("750")
        with page.expect_navigation():
            page.get_by_test_id("spend-alert-form").locator("button").click()
        # Then the page states it, with remove one press away, and an email confirms it
        state = page.get_by_test_id("spend-alert-state").inner_text().replace("\xa0", " ")
        assert "750 kr" in state and "inkl. moms" in state
        assert page.get_by_test_id("spend-alert-remove").count() == 1
        subjects = [str(m.get("subject", "")) for m in emails_to(local_env.moto_url, customer.email)]
        assert sum("Aviseringen om din förbrukning" in s for s in subjects) == 1
        page.get_by_test_id("spend-alert").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"spend-alert-set-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page_url, width)
        # When they download this month's events as CSV from the page
        form = page.get_by_test_id("usage-download-form")
        form.locator("select[name=format]").select_option("csv")
        with page.expect_download() as download:
            form.locator("button").click()
        content = open(download.value.path(), encoding="utf-8").read()
        # Then the file holds every event of theirs, with the documented columns
        lines = content.strip().splitlines()
        assert lines[0] == "id,metric,timestamp,value,properties" and len(lines) == 13
        form.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"usage-download-{tag}.png"), full_page=True)
        # When they follow the exit link (step one)
        page.get_by_test_id("exit-link").click()
        page.wait_for_url("**/exit")
        # Then one screen says when it ends and what the last invoice is, with one button (step two)
        assert "30 november 2026" in page.get_by_test_id("exit-ends").inner_text()
        assert page.get_by_test_id("exit-last-invoice").count() == 1
        assert "17,88\xa0kr" in page.get_by_test_id("exit-usage-so-far").inner_text()  # 12 min at 1,49 kr
        assert page.locator("form").count() == 1
        page.screenshot(path=str(artifacts / f"exit-page-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page.url, width)
        with page.expect_navigation():
            page.get_by_test_id("exit-confirm").locator("button").click()
        # Then it confirms the end, and one email says so
        assert page.get_by_test_id("exit-done").count() == 1
        page.screenshot(path=str(artifacts / f"exit-done-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page.url, width)
        subjects = [str(m.get("subject", "")) for m in emails_to(local_env.moto_url, customer.email)]
        assert sum(s.startswith("Ditt abonnemang är avslutat") for s in subjects) == 1
    finally:
        context.close()


@pytest.mark.parametrize(("width", "js"), [(390, True), (390, False)])
def test_pause_instead_of_leaving(
    local_env,
    tenant_id,
    browser,
    artifacts,
    scenario_clock,  # noqa: F811
    width,
    js,
):
    scenario_clock(TODAY)
    tenant = f"{tenant_id}-p{int(js)}"
    _, (customer,) = _tenant(tenant, pauses={"max_months": 3, "per_year": 1})
    page_url = f"{local_env.server.url}/i/{_page_token(tenant, 'c00001')}"
    tag = f"{width}-{'js' if js else 'nojs'}"
    context = browser.new_context(viewport={"width": width, "height": 844}, java_script_enabled=js)
    page = context.new_page()
    try:
        # Given the exit page of a merchant that allows pauses, reached from the invoice page
        page.goto(page_url)
        page.get_by_test_id("exit-link").click()
        page.wait_for_url("**/exit")
        # Then it offers a pause of 1, 2 or 3 months from the end of the paid period
        offer = page.get_by_test_id("pause-offer")
        assert "1 december 2026" in offer.inner_text()
        assert offer.locator("input[name=months]").count() == 3
        page.screenshot(path=str(artifacts / f"pause-offer-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page.url, width)
        # When the customer picks two months (by its label) and confirms, one step
        page.get_by_label("2 mån", exact=False).check()
        with page.expect_navigation():
            page.get_by_test_id("pause-form").locator("button").click()
        # Then the page says when the fees stop and when it starts again by itself, and one email says so
        state = page.get_by_test_id("pause-state").inner_text()
        assert "1 december 2026" in state and "1 februari 2027" in state
        assert page.get_by_test_id("pause-form").count() == 0
        page.screenshot(path=str(artifacts / f"pause-done-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page.url, width)
        subjects = [str(m.get("subject", "")) for m in emails_to(local_env.moto_url, customer.email)]
        assert sum(s.startswith("Ditt abonnemang pausas") for s in subjects) == 1
        # And back on the invoice page, the pause is stated beside the exit link
        page.get_by_test_id("exit-back").click()
        page.wait_for_url("**/i/**")
        page.reload()  # the published page may be cached up to a minute (max-age=60), as behind CloudFront
        assert "1 februari 2027" in page.get_by_test_id("invoice-pause").inner_text()
        page.get_by_test_id("exit").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"pause-invoice-page-{tag}.png"), full_page=True)
        if js:
            _axe_clean(browser, page.url, width)
    finally:
        context.close()
