"""The customer changes how they pay, on the local stack (issue 17's last point): from paying by hand to
card autopay, from card to Autogiro (the card mandate ends), and back from Autogiro to card (the
Autogiro mandate is cancelled); each change is confirmed by one email, and repeating a step (the form
posted twice) sends nothing more."""

from __future__ import annotations

import pytest

from billing.wiring.core import audit_trail, autogiro_store, stripe_records
from infra import demo_data
from tests.integration import stripe_support
from tests.integration.helpers import emails_to
from tests.integration.stripe_support import Issued, complete_checkout, issue, request
from tests.integration.test_autogiro_flow import GOOD
from tests.integration.test_invoice_page_api import _post

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture


@pytest.fixture
def issued(local_env, tenant_id, stripe_fake, scenario_clock, monkeypatch) -> Issued:
    scenario_clock(stripe_support.TODAY)
    # The tenant offers both: card autopay through Stripe and Autogiro
    monkeypatch.setitem(demo_data.PAGE_SETTINGS, "autogiro", {"customer_number": "471117"})
    return issue(local_env, tenant_id, stripe_fake, payments={"retry_days": [0, 3, 7]})


def _confirmations(issued: Issued) -> list[str]:
    mails = emails_to(issued.env.moto_url, issued.email)
    return [str(m.get("body", "")) for m in mails if str(m.get("subject", "")).startswith("Nytt betalsätt")]


def test_each_change_of_method_ends_the_old_one_and_is_confirmed_once(issued):
    customer_id = issued.stored.invoice.customer_id
    # Given the customer pays by hand, When they choose card autopay on the page
    location = request(issued.link("autopay-link"))[1]["Location"]
    assert complete_checkout(location, "card")[0] == 303
    # Then one confirmation: from paying by hand to card
    (first,) = _confirmations(issued)
    assert "från betalning på egen hand till automatisk kortbetalning" in first

    # When they choose Autogiro instead, with the form (twice: a double press)
    autogiro_url = f"{issued.env.server.url}/v1/pages/{issued.stored.page_token}/autogiro"
    assert _post(autogiro_url, GOOD)[0] == 303
    assert _post(autogiro_url, GOOD)[0] == 303
    # Then the card mandate ended, this invoice is not charged by card, Autogiro is the method in force
    record = stripe_records().customer_record(issued.tenant_id, customer_id)
    assert record["mandate"]["status"] == "inactive"
    assert (issued.refreshed().state.get("stripe") or {}).get("autopay") == "stopped"
    assert 'data-method="autogiro"' in issued.page()
    # And one more confirmation, saying the card is no longer charged
    confirmations = _confirmations(issued)
    assert len(confirmations) == 2, confirmations
    assert "från automatisk kortbetalning till Autogiro" in confirmations[1]
    assert "Vi drar inte längre från ditt kort" in confirmations[1]

    # When they go back to card autopay through Stripe, with the summary's change link
    location = request(issued.link("autopay-change"))[1]["Location"]
    assert complete_checkout(location, "card")[0] == 303
    # Then the Autogiro mandate is cancelled and one more confirmation says so
    mandates, _ = autogiro_store()
    mandate = mandates.get(issued.tenant_id, customer_id)
    assert mandate is not None and mandate.status.value not in ("pending", "sent", "approved"), mandate
    confirmations = _confirmations(issued)
    assert len(confirmations) == 3, confirmations
    assert "från Autogiro till automatisk kortbetalning" in confirmations[2]
    # And every change is on the audit trail with its confirmation
    actions = [e.action for e in audit_trail().events(issued.tenant_id, issued.stored.invoice_id)]
    assert actions.count("payment_method_changed") == 3
    assert actions.count("payment_method_change_confirmed") == 3


def test_a_card_whose_processor_died_after_its_commit_still_ends_autogiro_and_is_confirmed_once(
    issued, monkeypatch
):
    """What follows a new card mandate is its outbox event's effect: the processor that committed it
    dies before doing any of it, and the outbox's own driver (DriveOutboxFunction, under its own
    policies) ends Autogiro, marks the invoice and confirms the change, once, before the merchant is
    told."""
    from billing.domain.merchant_events import customer_stream
    from billing.wiring.outbox import outbox_store
    from infra import local_outbox

    tenant_id, customer_id = issued.tenant_id, issued.stored.invoice.customer_id
    # Given the customer pays by Autogiro
    autogiro_url = f"{issued.env.server.url}/v1/pages/{issued.stored.page_token}/autogiro"
    assert _post(autogiro_url, GOOD)[0] == 303
    assert len(_confirmations(issued)) == 1
    local_outbox.drain()
    # When they choose card autopay, and the processor dies right after storing the new mandate
    left = stripe_support.processor_stops_after_its_commits(monkeypatch)
    mark = len(issued.fake.events)
    location = request(issued.link("autopay-change"))[1]["Location"]
    assert complete_checkout(location, "card")[0] == 303
    # Then the card is stored and its event written, and nothing that follows it has happened yet
    assert customer_stream(customer_id) in left
    record = stripe_records().customer_record(tenant_id, customer_id)
    assert record["mandate"]["status"] == "active"
    (approved,) = [e for e in outbox_store().pending(tenant_id, customer_stream(customer_id))]
    assert (approved.event_type, approved.pending) == ("mandate.approved", ("autopay", "merchant"))
    assert approved.context["previous"] == "autogiro" and "context" not in approved.envelope()
    mandates, _ = autogiro_store()
    assert mandates.get(tenant_id, customer_id).status.value in ("pending", "sent", "approved")
    assert len(_confirmations(issued)) == 1
    # When the outbox's stream is read, as Lambda's poller does
    local_outbox.drain()
    # Then Autogiro is cancelled, the invoice will be charged by card, and one confirmation says so
    assert mandates.get(tenant_id, customer_id).status.value not in ("pending", "sent", "approved")
    assert (issued.refreshed().state.get("stripe") or {}).get("autopay") == "active"
    confirmations = _confirmations(issued)
    assert len(confirmations) == 2 and "från Autogiro till automatisk kortbetalning" in confirmations[1]
    assert outbox_store().pending(tenant_id, customer_stream(customer_id)) == []
    # When Stripe delivers the same events again, to a processor that lives
    monkeypatch.undo()
    for delivered in list(issued.fake.events[mark:]):
        assert stripe_support.post_event(issued.env, tenant_id, delivered)[0] == 200
    local_outbox.drain()
    # Then nothing is done twice
    assert len(_confirmations(issued)) == 2
    actions = [e.action for e in audit_trail().events(tenant_id, issued.stored.invoice_id)]
    assert actions.count("autopay_active") == 1 and actions.count("payment_method_changed") == 2
