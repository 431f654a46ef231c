"""Relief the customer chooses on the invoice page, end to end through the local HTTP server: moving
the due date once, and splitting into instalments that are settled like any invoice."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import date, timedelta

import pytest
from babel.dates import format_date

from billing.adapters.dynamo.models import InvoiceModel
from billing.domain.ocr import is_valid_ocr
from billing.wiring.core import invoice_ledger
from tests.integration import stripe_support
from tests.integration.dunning_support import TODAY, issue, pay, run_dunning
from tests.integration.helpers import fetch
from tests.integration.stripe_support import complete_checkout, request

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixture


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _post(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def _page(issued) -> str:
    _, _, html = fetch(f"{issued.base_url}/i/{issued.stored.page_token}")
    return html.replace("\xa0", " ")


def _summary(html: str, testid: str) -> str:
    """The text of the summary's element `testid` (the first on the page is the summary's)."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no {testid} on the page"
    return found.group(1).strip()


def _swedish(day: date) -> str:
    return format_date(day, "long", locale="sv_SE").replace("\xa0", " ")


def test_the_due_date_can_be_moved_once_and_reminders_count_from_the_new_date(local_env):
    # Given an open invoice whose page offers relief
    issued = issue(local_env)
    token, due = issued.stored.page_token, issued.due
    relief_url = f"{issued.base_url}/v1/pages/{token}/relief"
    assert 'data-testid="relief-link"' in _page(issued) and relief_url in _page(issued)
    status, _, form = fetch(relief_url)
    assert status == 200 and 'data-testid="relief-move"' in form and 'data-testid="relief-split"' in form
    before = len(issued.emails())
    # When the customer moves the due date by 10 days
    new_due = due + timedelta(days=10)
    status, headers, _ = _post(f"{relief_url}/move", {"due_date": new_due.isoformat()})
    # Then they are sent back to the page, which says so; the move is recorded, audited and confirmed
    assert status == 303 and headers["Location"].endswith(f"/i/{token}#block-relief")
    assert issued.stored.state["dunning"]["due_date_moved_to"] == new_due.isoformat()
    assert 'data-testid="due-date-moved"' in _page(issued)
    # And the summary at the top asks for the new date, not the old one
    said = _summary(_page(issued), "due-date")
    assert _swedish(new_due) in said and _swedish(due) not in said, said
    assert "due_date_moved" in issued.actions()
    confirmations = issued.emails()[before:]
    assert len(confirmations) == 1 and issued.stored.invoice.number in confirmations[0]["subject"]
    # When they try to move it a second time
    status, _, body = _post(f"{relief_url}/move", {"due_date": (due + timedelta(days=12)).isoformat()})
    # Then it is refused with the reason, and the date stays
    assert status == 400 and 'data-testid="relief-error"' in body
    assert issued.stored.state["dunning"]["due_date_moved_to"] == new_due.isoformat()
    # And reminders count from the new date: none 5 days after the old one, the first 5 after the new
    assert run_dunning(issued.tenant_id, due + timedelta(days=5))["reminders_sent"] == 0
    assert run_dunning(issued.tenant_id, new_due + timedelta(days=5))["reminders_sent"] == 1


def test_a_date_beyond_the_tenants_limit_is_refused(local_env):
    # Given the tenant allows 14 days
    issued = issue(local_env)
    url = f"{issued.base_url}/v1/pages/{issued.stored.page_token}/relief/move"
    # When the customer asks for 15 days, or sends no date
    too_far = _post(url, {"due_date": (issued.due + timedelta(days=15)).isoformat()})
    no_date = _post(url, {"due_date": ""})
    # Then both are refused and nothing is recorded
    assert too_far[0] == 400 and no_date[0] == 400
    assert "due_date_moved_to" not in issued.stored.state.get("dunning", {})


def test_split_into_instalments_each_with_its_own_ocr_shown_on_the_page_and_settled(local_env):
    # Given an open invoice
    issued = issue(local_env)
    token, total = issued.stored.page_token, issued.stored.amount_due
    url = f"{issued.base_url}/v1/pages/{token}/relief/split"
    before = len(issued.emails())
    # When the customer splits it into 3 parts, the first due in 5 days
    status, headers, _ = _post(
        url, {"instalments": "3", "first_due": (issued.due + timedelta(days=5)).isoformat()}
    )
    # Then the invoice is split into 3 child invoices with their own numbers, OCR references and dates
    assert status == 303 and headers["Location"].endswith("#block-relief")
    parent = issued.stored
    assert parent.status == "split"
    plan = parent.state["dunning"]["split"]["instalments"]
    children = [invoice_ledger().get(issued.tenant_id, i["invoice_id"]) for i in plan]
    assert [c.invoice.due_date for c in children] == sorted({c.invoice.due_date for c in children})
    assert sum(c.amount_due for c in children) == total
    ocrs = [c.invoice.ocr for c in children]
    assert len(set(ocrs) | {parent.invoice.ocr}) == 4 and all(is_valid_ocr(o, True) for o in ocrs)
    # ... and each part has its own random link, which says nothing about the whole invoice's
    assert all(len(c.page_token) == 32 and token[:8] not in c.page_token for c in children)
    assert len({c.page_token for c in children}) == 3
    # And the page shows the plan with each OCR, the customer got it by email, the audit has it
    html = _page(issued)
    assert html.count('data-testid="instalment"') == 3 and all(o in html for o in ocrs)
    # ... and its summary asks for part 1 of 3 with that part's OCR, amount and date
    assert _summary(html, "instalment-due") == "Del 1 av 3 att betala"
    assert _summary(html, "ocr") == children[0].invoice.ocr
    assert _swedish(children[0].invoice.due_date) in _summary(html, "due-date")
    # ... its card button pays that part only, through the part's own link
    assert f'href="{issued.base_url}/v1/pages/{children[0].page_token}/pay" data-testid="pay-button"' in html
    assert len(issued.emails()) == before + 1 and all(o in issued.emails()[-1]["body"] for o in ocrs)
    assert "split_into_instalments" in issued.actions()
    # And the invoice can be split only once
    again = _post(url, {"instalments": "2", "first_due": (issued.due + timedelta(days=5)).isoformat()})
    assert again[0] == 400
    # When the first instalment is paid, the daily job shows it paid on the page; the invoice stays open
    pay(issued.tenant_id, children[0].invoice_id, children[0].amount_due)
    run_dunning(issued.tenant_id, TODAY)
    assert _page(issued).count('data-paid="true"') == 1 and issued.stored.status == "split"
    assert _summary(_page(issued), "instalment-due") == "Del 2 av 3 att betala"
    assert _summary(_page(issued), "ocr") == children[1].invoice.ocr
    # When the others are paid too, the invoice is paid and leaves the open index
    for child in children[1:]:
        pay(issued.tenant_id, child.invoice_id, child.amount_due)
    run_dunning(issued.tenant_id, TODAY)
    assert issued.stored.status == "paid" and issued.stored.amount_due == 0
    assert 'data-status="paid"' in _page(issued)
    item = InvoiceModel.get(issued.tenant_id, issued.invoice_id, consistent_read=True)
    assert item.open_bucket is None and "instalments_paid" in issued.actions()
    # And a paid split invoice is never reminded
    assert run_dunning(issued.tenant_id, issued.due + timedelta(days=30))["reminders_sent"] == 0


def test_instalments_are_never_reminded_once_the_whole_invoice_is_paid_anyway(local_env):
    # Given a split invoice that the customer then pays in full with its own reference
    issued = issue(local_env)
    url = f"{issued.base_url}/v1/pages/{issued.stored.page_token}/relief/split"
    _post(url, {"instalments": "2", "first_due": (issued.due + timedelta(days=3)).isoformat()})
    plan = issued.stored.state["dunning"]["split"]["instalments"]
    pay(issued.tenant_id, issued.invoice_id, issued.stored.amount_due)
    # When the daily job runs long after every instalment's due date
    result = run_dunning(issued.tenant_id, TODAY + timedelta(days=90))
    # Then no instalment is reminded; each is closed and leaves the open index
    assert result["reminders_sent"] == 0
    for part in plan:
        item = InvoiceModel.get(issued.tenant_id, part["invoice_id"], consistent_read=True)
        assert item.status == "void" and item.open_bucket is None
    assert run_dunning(issued.tenant_id, TODAY + timedelta(days=120))["checked"] == 0


def test_no_relief_while_automatic_payment_holds_the_invoice(local_env):
    from billing.wiring.core import stripe_records

    # Given an open invoice that the customer's saved card will pay on the due date
    issued = issue(local_env)
    stripe_records().update_invoice_record(
        issued.tenant_id, issued.invoice_id, lambda r: replace(r, autopay="active")
    )
    relief_url = f"{issued.base_url}/v1/pages/{issued.stored.page_token}/relief"
    # When the customer opens the relief page, Then neither choice is offered
    status, _, form = fetch(relief_url)
    assert status == 200
    assert 'data-testid="relief-move"' not in form and 'data-testid="relief-split"' not in form
    # And a split posted anyway is refused, and nothing changes: the card will not be charged twice
    status, _, body = _post(
        f"{relief_url}/split", {"instalments": "2", "first_due": (issued.due + timedelta(days=5)).isoformat()}
    )
    assert status == 400 and 'data-testid="relief-error"' in body
    assert issued.stored.status == "open" and "split" not in issued.stored.state.get("dunning", {})


def test_paying_a_part_by_card_updates_the_plan_on_the_page_at_once(local_env, stripe_fake):
    # Given an invoice split into 3 parts
    issued = issue(local_env)
    token = issued.stored.page_token
    first_due = (issued.due + timedelta(days=5)).isoformat()
    assert (
        _post(
            f"{issued.base_url}/v1/pages/{token}/relief/split", {"instalments": "3", "first_due": first_due}
        )[0]
        == 303
    )
    plan = issued.stored.state["dunning"]["split"]["instalments"]
    # When the customer presses the summary's Pay button and pays on Checkout
    pay_link = re.search(r'href="([^"]+)" data-testid="pay-button"', _page(issued)).group(1)
    status, headers, _ = request(pay_link)
    assert status == 303
    session = stripe_fake.sessions[headers["Location"].rsplit("/", 1)[1]]
    assert session["amount_total"] == plan[0]["amount"]
    status, headers, _ = complete_checkout(headers["Location"])
    stripe_fake.wait_for_deliveries()
    # Then they come back to the invoice's own page, which already shows part 1 paid and asks for part 2,
    # without waiting for the daily job
    assert status == 303 and headers["Location"].startswith(f"{issued.base_url}/i/{token}")
    html = _page(issued)
    assert html.count('data-paid="true"') == 1
    assert _summary(html, "instalment-due") == "Del 2 av 3 att betala"
    assert _summary(html, "ocr") == plan[1]["ocr"]
    part = invoice_ledger().get(issued.tenant_id, plan[0]["invoice_id"])
    assert part is not None and part.status == "paid"
