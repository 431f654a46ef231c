"""The customer in control of automatic payment, on the local stack (issue 17): the page states the
method in force and its next date, stop is one press away and confirmed by email, and the invoice is
then paid by hand (the collector leaves it alone)."""

from __future__ import annotations

import re

import pytest

from billing.wiring.core import audit_trail, stripe_records
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import Issued, complete_checkout, issue, request
from tests.integration.test_stripe_autopay import _charges, _collect

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture


@pytest.fixture
def issued(local_env, tenant_id, stripe_fake, scenario_clock) -> Issued:
    scenario_clock(stripe_support.TODAY)
    return issue(local_env, tenant_id, stripe_fake, payments={"retry_days": [0, 3, 7]})


def _stop_url(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="autopay-stop"', page)
    assert match, "no stop form on the page"
    return match.group(1)


def test_card_autopay_is_stated_with_its_date_stopped_in_one_step_and_confirmed_by_email(issued):
    # Given the customer set up automatic card payment from the page
    location = request(issued.link("autopay-link"))[1]["Location"]
    assert complete_checkout(location, "card")[0] == 303
    page = issued.page()
    # Then the summary states the method in force and the next debit, with stop one step away
    assert 'data-testid="payment-method" data-method="card"' in page
    due = issued.stored.invoice.due_date
    assert "Nästa dragning:" in page and str(due.year) in page
    stop_url = _stop_url(page)
    assert stop_url.endswith(f"/v1/pages/{issued.stored.page_token}/autopay/stop")
    emails_before = len(emails_to(issued.env.moto_url, issued.email))

    # When they press stop (a plain form post: no JavaScript needed)
    status, headers, _ = request(stop_url, method="POST", data=b"")

    # Then they are back on the summary, which asks them to pay by hand again
    assert status == 303 and headers["Location"].endswith("#block-summary")
    page = issued.page()
    assert 'data-testid="payment-method"' not in page and 'data-testid="pay-button"' in page
    # And the mandate will never be charged again, and this invoice is no longer charged
    record = stripe_records().customer_record(issued.tenant_id, issued.stored.invoice.customer_id)
    assert record["mandate"]["status"] == "inactive"
    assert (issued.refreshed().state.get("stripe") or {}).get("autopay") == "stopped"
    # And a confirmation email went out, in Swedish, with the page's link
    mails = emails_to(issued.env.moto_url, issued.email)[emails_before:]
    (mail,) = mails
    assert "Automatisk betalning avslutad" in str(mail)
    # And the audit trail has it
    events = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert "autopay_stopped" in events
    # And the collector does not charge it on the due date
    _collect(issued, due)
    assert _charges(issued) == []

    # When the stop is posted again (a double press)
    again = request(stop_url, method="POST", data=b"")
    # Then nothing more happens: back to the page, no second email
    assert again[0] == 303
    assert len(emails_to(issued.env.moto_url, issued.email)) == emails_before + 1


def test_stopping_what_is_not_automatic_goes_back_to_the_page(issued):
    url = f"{issued.env.server.url}/v1/pages/{issued.stored.page_token}/autopay/stop"
    status, headers, _ = request(url, method="POST", data=b"")
    assert status == 303 and headers["Location"].endswith("#block-summary")
    missing = request(f"{issued.env.server.url}/v1/pages/{'x' * 32}/autopay/stop", method="POST", data=b"")
    assert missing[0] == 404
