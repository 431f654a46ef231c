"""A price-change notice in a real browser (issue 18, docs/price-changes.md): the page states the
change, its reason and the customer's own "+N kr per year", and each of the three choices is one press
(a form, so it works without JavaScript) that comes back to the page showing what was chosen. At
390 px, JavaScript on and off, axe-clean. Screenshots: artifacts/e2e/price-change-<choice>-<js>.png.

The notice is the one the daily run writes (its backtest numbers given here; the run that computes
them is tests/integration/merchant/test_catalog_api.py), published by the same sender."""

from __future__ import annotations

from datetime import date

import pytest

from billing.services.price_changes.fields import VersionSchedule
from billing.services.price_changes.ports import Notice
from infra import demo_data
from infra.axe import axe_violations
from tests.integration.conftest import scenario_clock  # noqa: F401 - the fixture
from tests.integration.merchant.support import merchant

pytestmark = pytest.mark.e2e


def _noticed(tenant_id: str, token: str) -> str:
    from billing.wiring.price_change import notice_sender, price_changes, schedule_version

    bas = next(p for p in demo_data.CATALOG["plans"] if p["code"] == "bas")
    charges = [{**c, "amount": 12920} if c["code"] == "subscription" else c for c in bas["charges"]]
    body = {"effective_date": "2027-02-01", "reason": "Högre kostnader för nätet.", "charges": charges}
    version = schedule_version()(tenant_id, "bas", VersionSchedule.model_validate(body)).code
    store = price_changes()
    (change,) = [c for c in store.changes(tenant_id) if c.version == version]
    notice = Notice(
        tenant_id=tenant_id,
        version=version,
        customer_id="c-0001",
        page_token=token,
        email="kund1@example.se",
        from_version="bas",
        currency="SEK",
        periods=12,
        current=12 * 14900,
        new=12 * 14900 + 15600,
        incl_vat=True,
        suggestion="plus",
        name="Kund 1",
    )
    assert store.add_notice(notice)
    notice_sender().publish(store.tenant(tenant_id), change, notice)
    return version


@pytest.mark.parametrize("js", [True, False])
@pytest.mark.parametrize("choice", ["accept", "switch", "leave"])
def test_the_notice_page_shows_the_backtest_and_takes_each_choice(
    local_env,
    tenant_id,
    browser,
    artifacts,
    scenario_clock,  # noqa: F811
    choice,
    js,
):
    scenario_clock(date(2026, 12, 5))
    tenant = f"{tenant_id}-{choice}-{int(js)}"
    merchant(tenant)
    token = f"pc{choice}{int(js)}".ljust(32, "x")
    _noticed(tenant, token)
    url = f"{local_env.server.url}/i/{token}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=js)
    page = context.new_page()
    tag = f"{choice}-{'js' if js else 'nojs'}"
    try:
        page.goto(url)
        # The change, its reason, and the customer's own year: +156 kr incl. VAT
        assert "Hej Kund 1, priset för Bas 3 GB" in page.locator("h1").inner_text()
        assert "Högre kostnader för nätet." in page.get_by_test_id("reason").inner_text()
        per_year = page.get_by_test_id("per-year")
        assert per_year.get_attribute("data-amount") == "15600"
        assert per_year.inner_text().replace("\xa0", " ").startswith("+156 kr")
        assert "Inkl. moms." in page.locator("#block-backtest").inner_text()
        assert page.get_by_test_id("choice-switch").inner_text().startswith("Byt till Plus 15 GB")
        page.screenshot(path=str(artifacts / f"price-change-notice-{tag}.png"), full_page=True)
        if js:
            # axe is injected, which the page's CSP rightly forbids: a context that bypasses it
            checker = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            try:
                audited = checker.new_page()
                audited.goto(url)
                assert axe_violations(audited) == []
            finally:
                checker.close()
        # One press: the form posts, the page comes back saying what was chosen
        with page.expect_navigation():
            page.get_by_test_id(f"choice-{choice}").click()
        page.goto(url)  # the re-published page (the redirect lands on it; reload past any cache)
        chosen = page.get_by_test_id("chosen")
        assert chosen.get_attribute("data-choice") == choice
        assert "Hej Kund 1" in page.locator("h1").inner_text()  # the re-published page, read back
        page.screenshot(path=str(artifacts / f"price-change-{tag}.png"), full_page=True)
        if js:
            checker = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            try:
                audited = checker.new_page()
                audited.goto(url)
                assert axe_violations(audited) == []
            finally:
                checker.close()
    finally:
        context.close()
