"""The pause on the local stack (issue 18): offered on the exit page where the merchant allows one,
taken in one step through the local HTTP API with the page's link as the only key, confirmed by one
email, shown to the merchant (GET subscription) and counted in `billing report engagement`; then the
billing runs over it bill no fee for the paused months, still bill the usage, and resume by themselves."""

from __future__ import annotations

import json
import urllib.parse
from datetime import date
from typing import Any

import pytest

from billing.adapters.dynamo.stores import DynamoCustomerDirectory
from billing.wiring.core import invoice_ledger
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, engagement_by_month, fetch, invoices_of
from tests.integration.stripe_support import request
from tests.integration.test_customer_exit_and_data import _page_token
from tests.integration.test_email_feedback import _cli
from tests.integration.test_spend_alerts import TODAY, _minutes, _post, _tenant

pytestmark = pytest.mark.integration


def _pause(base: str, token: str, months: str) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode({"months": months}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return request(f"{base}/v1/pages/{token}/pause", method="POST", data=body, headers=headers)


def _subscription(base: str, key: str) -> dict[str, Any]:
    status, _, body = request(
        f"{base}/v1/customers/c00001/subscription", headers={"authorization": f"Bearer {key}"}
    )
    assert status == 200, body
    return dict(json.loads(body))


def _invoice_lines(tenant_id: str, period_start: str) -> list[tuple[str, int]]:
    ledger = invoice_ledger()
    for item in invoices_of(tenant_id):
        if item.customer_id == "c00001" and item.period_start == period_start:
            stored = ledger.get(tenant_id, item.invoice_id)
            assert stored is not None
            return [(x.kind, x.amount) for x in stored.invoice.lines]
    raise AssertionError(f"no invoice for the period from {period_start}")


def test_the_customer_pauses_from_the_exit_page_and_the_runs_bill_no_fee_until_it_resumes(
    local_env: Any, tenant_id: str, scenario_clock: Any
) -> None:
    # Given a merchant that allows pauses of up to 3 months, once a year; a customer billed November 1
    scenario_clock(TODAY)  # November 23
    key, (customer,) = _tenant(tenant_id, pauses={"max_months": 3, "per_year": 1})
    assert _post(local_env.server.url, key, {"events": _minutes("nov", 10)})[1]["accepted"] == 10
    token = _page_token(tenant_id, "c00001")
    base = local_env.server.url
    merchant = _cli("apikey", "create", "--tenant", tenant_id, "--scope", "full").strip()
    # When the exit page is opened: it offers the pause beside the one cancel button
    status, _, page = fetch(f"{base}/v1/pages/{token}/exit")
    assert status == 200 and 'data-testid="pause-form"' in page
    assert f'action="{base}/v1/pages/{token}/pause"' in page
    assert page.count('name="months"') == 3 and "1 december 2026" in page and "1 mars 2027" in page
    # When the customer picks two months (one step: a plain form post)
    status, headers, _ = _pause(base, token, "2")
    assert status == 303 and headers["Location"] == f"{base}/v1/pages/{token}/exit"
    # Then the subscription records December and January as paused
    account = DynamoCustomerDirectory().get(tenant_id, "c00001")
    assert account is not None
    assert [(str(p.start), str(p.end)) for p in account.subscription.pauses] == [("2026-12-01", "2027-02-01")]
    # And the exit page shows it, offers no second one, and still lets them cancel
    _, _, page = fetch(f"{base}/v1/pages/{token}/exit")
    assert 'data-testid="pause-state"' in page and "1 februari 2027" in page
    assert 'data-testid="pause-form"' not in page and 'data-testid="exit-confirm"' in page
    # And the invoice page, published again, says it too
    _, _, invoice_page = fetch(f"{base}/i/{token}")
    assert 'data-testid="invoice-pause"' in invoice_page and "1 februari 2027" in invoice_page
    # And the merchant sees it on the subscription
    shown = _subscription(base, merchant)
    assert shown["paused"] is False
    assert shown["pauses"] == [{"start": "2026-12-01", "end": "2027-02-01", "decided_on": "2026-11-23"}]
    # And one email confirms it, however often the form is posted
    assert _pause(base, token, "2")[0] == 303
    mails = [m for m in emails_to(local_env.moto_url, customer.email) if "pausas" in m["subject"]]
    assert len(mails) == 1 and "1 februari 2027" in mails[0]["body"]
    # And what is not on offer is refused naming the field, a link that is no invoice's is 404
    status, _, text = _pause(base, token, "3")
    assert status == 400 and text.startswith("months:") and "paused already" in text
    assert _pause(base, token, "soon")[0] == 400
    assert _pause(base, "q" * 32, "1")[0] == 404
    # And the engagement report counts the pause in November (the report's months run to the real today)
    pauses = engagement_by_month(tenant_id)["pauses"]
    assert pauses["2026-11"] == 1 and sum(pauses.values()) == 1
    # When the run bills December 1, the pause's first day
    run_billing(tenant_id, date(2026, 12, 1))
    # Then no fee, but November's usage
    december = _invoice_lines(tenant_id, "2026-12-01")
    assert {k for k, _ in december} == {"usage"} and sum(a for _, a in december) > 0
    # When usage still arrives in the pause, and the run bills January 1
    scenario_clock(date(2026, 12, 20))
    assert _post(base, key, {"events": _minutes("dec", 4, day=date(2026, 12, 20))})[1]["accepted"] == 4
    run_billing(tenant_id, date(2027, 1, 1))
    # Then no fee again; December's usage is billed
    january = _invoice_lines(tenant_id, "2027-01-01")
    assert {k for k, _ in january} == {"usage"} and sum(a for _, a in january) > 0
    # And February 1: it resumed by itself, with the plan's full fee
    scenario_clock(date(2027, 1, 20))
    run_billing(tenant_id, date(2027, 2, 1))
    february = _invoice_lines(tenant_id, "2027-02-01")
    assert "fee" in [k for k, _ in february]
    # And the merchant's view says paused while it runs, and not once it is over
    assert _subscription(base, merchant)["paused"] is True  # January 20
    scenario_clock(date(2027, 2, 2))
    assert _subscription(base, merchant)["paused"] is False
