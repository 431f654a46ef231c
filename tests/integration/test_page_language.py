"""The customer switches the invoice page's language, and the choice is remembered (issue 17)."""

from __future__ import annotations

import re

import pytest

from billing.wiring.core import audit_trail, customer_directory
from tests.integration import stripe_support
from tests.integration.stripe_support import Issued, issue, request

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture


@pytest.fixture
def issued(local_env, tenant_id, stripe_fake, scenario_clock) -> Issued:
    scenario_clock(stripe_support.TODAY)
    return issue(local_env, tenant_id, stripe_fake)


def _switch_form(page: str) -> tuple[str, str]:
    match = re.search(
        r'<form method="post" action="([^"]+)" class="lang"[^>]*><button type="submit" name="language" '
        r'value="(\w+)"',
        page,
    )
    assert match, "no language switch on the page"
    return match.group(1), match.group(2)


def test_the_page_switches_to_english_and_remembers_it(issued):
    # Given a Swedish page with a switch to English
    page = issued.page()
    assert '<html lang="sv">' in page
    url, other = _switch_form(page)
    assert other == "en" and url.endswith(f"/v1/pages/{issued.stored.page_token}/language")
    # When the customer presses it (a plain form post: no JavaScript needed)
    status, headers, _ = request(url, method="POST", data=b"language=en")
    # Then they are back on their page, now in English, with a way back to Swedish
    assert status == 303 and headers["Location"] == issued.page_url
    page = issued.page()
    assert '<html lang="en">' in page and "here is your invoice" in page
    assert _switch_form(page)[1] == "sv"
    # And the choice is the customer's: their next invoices and emails are in English too
    account = customer_directory().get(issued.tenant_id, issued.stored.invoice.customer_id)
    assert account is not None and account.customer.language == "en"
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("language_chosen") == 1
    # When the same choice is posted again, nothing more is recorded
    assert request(url, method="POST", data=b"language=en")[0] == 303
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("language_chosen") == 1


def test_a_language_we_do_not_have_is_refused_and_changes_nothing(issued):
    url = f"{issued.env.server.url}/v1/pages/{issued.stored.page_token}/language"
    status, _, body = request(url, method="POST", data=b"language=xx")
    assert status == 400 and "language" in body
    assert request(url, method="POST", data=b"")[0] == 400
    account = customer_directory().get(issued.tenant_id, issued.stored.invoice.customer_id)
    assert account is not None and account.customer.language == "sv"
    assert '<html lang="sv">' in issued.page()
