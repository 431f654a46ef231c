"""Issue 17 in the browser: true periods, prices incl. VAT for consumers, one advice with its one step,
relief only when useful, a calm first screen, Swedish typography; at 390 and 1280 px, with JavaScript
on and off, axe-clean and within the size budget. Screenshots: artifacts/e2e/calm-<key>-<width>-<js>.png.

The crafted customers (tests/e2e/crafted.py) are consumers billed monthly in arrears for data.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from babel.dates import format_date

from infra.axe import PAGE_BUDGET, axe_violations, gzip_size
from tests.e2e.test_invoice_page_customers import DESKTOP, MOBILE, crafted, opened, shown_blocks  # noqa: F401
from tests.integration.helpers import fetch

pytestmark = pytest.mark.e2e

KEYS = ["first", "loyal", "overpaying", "extra-data"]
VIEWS = [(w, js) for w in (MOBILE, DESKTOP) for js in (True, False)]


def _views(browser: Any, link: str, artifacts: Any, key: str) -> Any:
    for viewport, js in VIEWS:
        with opened(browser, link, viewport, java_script_enabled=js, bypass_csp=True) as page:
            name = f"calm-{key}-{viewport['width']}-{'js' if js else 'nojs'}.png"
            page.screenshot(path=str(artifacts / name), full_page=True)
            yield viewport, js, page


@pytest.mark.parametrize("key", KEYS)
def test_the_page_is_corrected_and_calm_at_both_widths_with_and_without_javascript(
    crafted,  # noqa: F811
    browser,
    artifacts,
    key,
):
    last = crafted.last(key)
    status, _, html = fetch(last.link)
    assert status == 200
    gzipped = gzip_size(html.encode("utf-8"))
    assert gzipped <= PAGE_BUDGET, f"{key}: {gzipped} bytes gzipped"
    report: dict[str, Any] = {"gzip_bytes": gzipped}
    for viewport, js, page in _views(browser, last.link, artifacts, key):
        where = f"{key} at {viewport['width']} px, JS {'on' if js else 'off'}"
        # Periods: each usage line says when it was used (the month before the invoice's period)
        periods = page.get_by_test_id("usage-period")
        for i in range(periods.count()):
            text = periods.nth(i).inner_text()
            assert text.startswith("Använt "), where
        summary = page.get_by_test_id("periods").inner_text()
        if periods.count():
            # And the summary names both periods where they differ
            assert "förbrukning i" in summary, where
        # Prices incl. VAT for these consumers, with at most two decimals and a real minus sign
        lines = page.locator("#block-lines").inner_text()
        assert "inkl. moms" in lines and "exkl. moms)" not in lines, where
        assert not re.search(r"\d,\d{3}\s?kr", lines), f"{where}: a price with three decimals"
        assert not re.search(r"(^|\s)-\d", page.locator("main").inner_text()), f"{where}: hyphen as minus"
        # Full month names
        assert not re.search(
            r"\d (jan|feb|mar|apr|jun|jul|aug|sep|okt|nov|dec)\. \d{4}", page.locator("main").inner_text()
        )
        # One advice: plan fit's suggestion and every offer point to the same plan, each with one step
        suggested = page.locator("#block-plan-fit[data-fits='no']")
        forms = page.locator("[data-testid='advice-action']")
        if suggested.count():
            assert forms.count() >= 1, where
        # The first screen at 390 px answers how much, by when and how to pay
        if viewport is MOBILE:
            for testid in ("amount-due", "due-date", "pay-button"):
                box = page.get_by_test_id(testid).bounding_box()
                assert box is not None and box["y"] + box["height"] <= viewport["height"], (
                    f"{where}: {testid}"
                )
            # Chart labels at least 12 px tall as drawn
            heights = page.eval_on_selector_all(
                "#block-chart svg text", "els => els.map(e => e.getBoundingClientRect().height)"
            )
            assert all(h >= 12 for h in heights), f"{where}: chart labels {heights}"
        # Relief is not up front on an invoice weeks from its due date: one line further down
        if "relief" in shown_blocks(page):
            order = page.eval_on_selector_all("section[id^='block-']", "els => els.map(e => e.id)")
            assert order.index("block-relief") > order.index("block-lines"), where
        # Poll, news and causes are folded
        for block in ("poll", "announcements", "causes"):
            if block in shown_blocks(page):
                assert page.locator(f"#block-{block} details").count() == 1, f"{where}: {block}"
        # Nothing scrolls sideways
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{where}: {width} px wide"
        if not js:
            continue  # axe is a script: it runs on the same markup with JavaScript on
        # And axe finds nothing (details opened so it sees everything)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        violations = axe_violations(page)
        report[f"axe_{viewport['width']}_{js}"] = violations
        assert violations == [], f"{where}: {json.dumps(violations, indent=1)}"
    (artifacts / f"calm-{key}-checks.json").write_text(json.dumps(report, indent=1))


def test_the_usage_line_names_the_month_before_the_invoice(crafted, browser):  # noqa: F811
    last = crafted.last("loyal")
    with opened(browser, last.link, MOBILE) as page:
        text = page.get_by_test_id("usage-period").first.inner_text()
        start = page.get_by_test_id("periods").inner_text()
    # The invoice's period starts on the 1st of this month; the usage is last month's
    months = re.findall(r"([a-zåäö]+) \d{4}", start)
    assert len(months) >= 2 and months[0] != months[1], start
    assert months[1] in text, (text, start)
    assert format_date  # the names are Babel's full month names


def test_the_advice_button_is_the_switch_itself_with_its_terms_without_javascript(crafted, browser):  # noqa: F811
    # The plan-change use case is live, so the advice's one step is the switch (pressing it:
    # tests/e2e/test_plan_switch_in_browser.py), not a question about it
    last = crafted.last("extra-data")
    with opened(browser, last.link, MOBILE, java_script_enabled=False) as page:
        form = page.locator("#block-plan-fit [data-testid='advice-action']")
        assert form.count() == 1 and form.get_attribute("data-action") == "plan_change"
        assert form.locator("input[name=plan]").get_attribute("value") == "plus"
        assert form.locator("button").inner_text() == "Byt till Plus 15 GB"
        terms = page.locator("#block-plan-fit [data-testid='plan-switch-terms']").inner_text()
        assert terms.startswith("Bytet gäller från i dag") and "inkl. moms" in terms, terms


@pytest.mark.parametrize(("viewport", "js"), VIEWS)
def test_the_language_switch_works_and_is_remembered(crafted, browser, viewport, js):  # noqa: F811
    last = crafted.last("overpaying")
    with opened(browser, last.link, viewport, java_script_enabled=js) as page:
        assert page.get_attribute("html", "lang") == "sv"
        # When the customer presses "In English" (a form: works without JavaScript)
        with page.expect_navigation():
            page.get_by_test_id("language-switch").locator("button").click()
        # Then the page reads in English, and a fresh visit too (the choice is stored, not a cookie)
        assert page.get_attribute("html", "lang") == "en"
        assert "here is your invoice" in page.locator("h1").inner_text()
    with opened(browser, last.link, viewport) as page:
        assert page.get_attribute("html", "lang") == "en"
        # And back to Swedish
        with page.expect_navigation():
            page.get_by_test_id("language-switch").locator("button").click()
        assert page.get_attribute("html", "lang") == "sv"


def test_the_invoice_email_fits_a_phone(crafted, browser, local_env, artifacts):  # noqa: F811
    from tests.integration.helpers import emails_to

    customer = crafted.customer("loyal")
    last = crafted.last("loyal")
    (mail,) = [m for m in emails_to(local_env.moto_url, customer.email) if last.link in m["body"]][-1:]
    assert "<html" in mail["body"]  # the HTML part, as a mail client shows it
    context = browser.new_context(viewport=MOBILE)
    try:
        page = context.new_page()
        page.set_content(mail["body"])
        page.screenshot(path=str(artifacts / "calm-email-390.png"), full_page=True)
        # The raw link wraps instead of widening the message
        assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    finally:
        context.close()
