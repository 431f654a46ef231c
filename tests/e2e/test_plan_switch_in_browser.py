"""Issue 15, the customer's side of a plan change, in the browser: the plan advice offers the switch it
recommends with what it costs and when it takes effect (an upgrade prorated now, a downgrade at the
period's end), one press makes it through the plan-change use case, the page then says it is done,
and one confirmation email goes out; a second press changes nothing; a page made for another
subscription is refused in words. At 390 and 1280 px, JavaScript on and off, axe-clean.
Screenshots: artifacts/e2e/switch-<key>-<width>-<js>-{offer,done}.png.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from billing.adapters.dynamo.models import CustomerModel, InvoiceModel
from infra import demo_data
from infra.axe import axe_violations
from infra.local_run import run_billing
from tests.e2e.crafted import crafted_customers, emailed_pages, seed
from tests.e2e.test_invoice_page_customers import DESKTOP, MOBILE, opened
from tests.integration.helpers import emails_to
from tests.integration.test_invoice_page_api import _post

pytestmark = pytest.mark.e2e

VIEWS = [(w, js) for w in (MOBILE, DESKTOP) for js in (True, False)]
# Per view: an upgrade (Bas with 7 GB a month: plan fit says Plus) and, at two of them, a downgrade
# (Max with 1 GB a month: Bas would do). Each customer switches once, so each view has its own.
CASES = [(f"up-{w['width']}-{'js' if js else 'nojs'}", "extra-data", w, js) for w, js in VIEWS] + [
    ("down-390-nojs", "overpaying", MOBILE, False),
    ("down-1280-js", "overpaying", DESKTOP, True),
]


@pytest.fixture(scope="module")
def tenant(local_env: Any) -> Any:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    today = datetime.now(demo_data.STOCKHOLM).date()
    base = crafted_customers(tenant_id, demo_data.month_start(today))
    people = {}
    for n, (key, like, _, _) in enumerate(CASES):
        c = base[like]
        cid = f"s{n:04d}"
        people[key] = replace(c, key=key, customer_id=cid, email=f"{cid}.{tenant_id}@kund.example.se")
    crafted = seed(tenant_id, today, customers=people)
    for run_date in crafted.run_dates:
        run_billing(tenant_id, run_date)
    pages = {key: emailed_pages(local_env.moto_url, c.email)[-1] for key, c in people.items()}
    return crafted, pages


def _plans(tenant_id: str, customer_id: str) -> list[str]:
    item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
    return [p["plan"] for p in item.subscription["phases"]]


@pytest.mark.parametrize(("key", "like", "viewport", "js"), CASES, ids=[c[0] for c in CASES])
def test_the_recommended_switch_is_shown_made_in_one_press_and_confirmed_once(
    tenant, local_env, browser, artifacts, key, like, viewport, js
):
    crafted, pages = tenant
    customer = crafted.customers[key]
    page_link = pages[key].link
    upgrade = like == "extra-data"
    target = "Plus 15 GB" if upgrade else "Bas 3 GB"
    shot = f"switch-{key}"
    with opened(browser, page_link, viewport, java_script_enabled=js, bypass_csp=True) as page:
        # Given the plan advice offers the switch with its terms
        form = page.locator("#block-plan-fit [data-testid='advice-action'][data-action='plan_change']")
        assert form.count() == 1, page.locator("#block-plan-fit").inner_text()
        button = form.locator("button")
        assert button.inner_text() == f"Byt till {target}"
        terms = page.locator("#block-plan-fit [data-testid='plan-switch-terms']").inner_text()
        if upgrade:
            assert terms.startswith("Bytet gäller från i dag") and "inkl. moms" in terms, terms
            assert re.search(r"\d\s*kr", terms), terms
        else:
            assert "när din nuvarande period är slut" in terms and "kostar inget nu" in terms, terms
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{key}: {width} px wide"
        page.screenshot(path=str(artifacts / f"{shot}-offer.png"), full_page=True)
        if js:
            violations = axe_violations(page)
            assert violations == [], json.dumps(violations, indent=1)
        fields = {
            name: form.locator(f"input[name={name}]").get_attribute("value")
            for name in ("plan", "basis", "quoted")
        }
        # When the customer presses it
        button.click()
        page.wait_for_url(re.compile(r"#block-plan-fit$"))
        page.reload()
        # Then the page says it is done, with no second button
        done = page.locator("#block-plan-fit [data-testid='plan-switch-done']")
        assert done.count() == 1 and target in done.inner_text(), page.locator("#block-plan-fit").inner_text()
        assert page.locator("#block-plan-fit [data-action='plan_change']").count() == 0
        page.screenshot(path=str(artifacts / f"{shot}-done.png"), full_page=True)
        if js:
            violations = axe_violations(page)
            assert violations == [], json.dumps(violations, indent=1)
    plans = _plans(crafted.tenant_id, customer.customer_id)
    assert plans[-1] == ("plus" if upgrade else "bas"), plans
    # A second press of the same form (a double click, a retried post) changes nothing more
    token = page_link.rsplit("/", 1)[1]
    api = local_env.server.url
    status, _, _ = _post(f"{api}/v1/pages/{token}/plan", fields)
    assert status == 303, status
    assert _plans(crafted.tenant_id, customer.customer_id) == plans
    mails = emails_to(local_env.moto_url, customer.email)
    confirmations = [m for m in mails if m.get("subject", "").startswith(f"Du har bytt till {target}")]
    assert len(confirmations) == 1, [m.get("subject") for m in mails]
    own = [i for i in InvoiceModel.query(crafted.tenant_id) if i.customer_id == customer.customer_id]
    changes = [i for i in own if i.document.get("kind") == "plan_change"]
    if upgrade:
        # The upgrade's prorated invoice, once, for the amount the page showed
        assert len(changes) == 1 and changes[0].amount_due == int(fields["quoted"] or 0), [
            (i.invoice_id, i.amount_due) for i in changes
        ]
    else:
        assert changes == []  # a downgrade costs nothing now
    # A page made for the subscription before the switch is refused, in words, changing nothing
    stale = {**fields, "plan": "max"}
    status, _, body = _post(f"{api}/v1/pages/{token}/plan", stale)
    assert status == 409 and "changed since this page was made" in body, (status, body[:300])
    assert _plans(crafted.tenant_id, customer.customer_id) == plans
