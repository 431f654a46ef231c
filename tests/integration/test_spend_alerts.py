"""Spend alerts on the local stack, driven by real usage ingestion (`POST /v1/usage` through the local
HTTP API) and the SendSpendAlertsFunction fed from the SpendAlertQueue as SQS would feed it: the alert
fires once when the invoice so far crosses the threshold, not before, not twice; retried and duplicate
batches, days out of order and the same batch sent twice at once change nothing of that."""

from __future__ import annotations

import contextlib
import io
import math
import os
import threading
import urllib.parse
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from billing.adapters.dynamo.models import CustomerModel
from billing.adapters.dynamo.stores import DynamoCustomerDirectory, DynamoTenantDirectory
from billing.adapters.dynamo.usage import DynamoUsageReader
from billing.cli import main as billing_cli
from billing.cli.run import deliver_batches
from billing.domain.spend_alerts import spent_so_far
from billing.services.invoices.upcoming import invoice_so_far
from billing.wiring.core import bind_tables, invoice_ledger, tenant_directory
from infra import demo_data
from infra.local_lambda import LambdaContext, handler_for, lambda_output
from infra.local_run import run_billing
from tests.integration.helpers import emails_to, engagement_by_month, fetch, invoices_of
from tests.integration.stripe_support import request
from tests.integration.test_usage_ingestion import _post

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 23)  # the scenario's day: the November window is open, billed on December 1
RUN_DATE = date(2026, 11, 1)
MINUTE_INCL_VAT = 149  # öre: an international minute is 119.2 öre + 25 % VAT (demo catalog)


def _key(tenant_id: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert billing_cli(["apikey", "create", "--tenant", tenant_id, "--label", "test"]) == 0
    return out.getvalue().strip()


def _tenant(
    tenant_id: str, default_kr: int | None = None, customers: int = 1, **page_settings: Any
) -> tuple[str, list[Any]]:
    """The demo merchant with `customers` customers invoiced on RUN_DATE (so each has a page), with a
    spend alert default when given and any further page settings; returns a usage key and the
    customers."""
    bind_tables()
    page = {**demo_data.PAGE_SETTINGS, **page_settings}
    if default_kr is not None:
        page["spend_alerts"] = {"default": str(default_kr)}
    DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    seeded = demo_data.customers(customers, history_start=date(2025, 12, 1), tenant_id=tenant_id)
    for c in seeded:
        subscription = {**c.subscription, "phases": [{"plan": "bas", "start": "2026-01-01"}]}
        DynamoCustomerDirectory.put(tenant_id, c.profile, subscription, c.email, RUN_DATE)
    run_billing(tenant_id, RUN_DATE)
    return _key(tenant_id), seeded


def _set_default(tenant_id: str, default_kr: int) -> None:
    page = {**demo_data.PAGE_SETTINGS, "spend_alerts": {"default": str(default_kr)}}
    DynamoTenantDirectory.put(tenant_id, demo_data.tenant_settings(tenant_id), demo_data.CATALOG, page)
    tenant_directory()._cache.clear()  # as a new Lambda container would: it reads the changed tenant


def _spent(tenant_id: str, customer_id: str) -> int:
    tenant = DynamoTenantDirectory().get(tenant_id)
    account = DynamoCustomerDirectory().get(tenant_id, customer_id)
    assert account is not None
    now = datetime.combine(TODAY, time(18), UTC)
    return spent_so_far(invoice_so_far(tenant, account, DynamoUsageReader(), now), consumer=True)


def _alert(tenant_id: str, customer_id: str) -> dict[str, Any]:
    return dict(CustomerModel.get(tenant_id, customer_id, consistent_read=True).spend_alert or {})


def _minutes(prefix: str, count: int, customer: str = "c00001", day: date = TODAY) -> list[dict[str, Any]]:
    at = datetime.combine(day, time(8), UTC)
    return [
        {
            "id": f"{prefix}-{i}",
            "customer_id": customer,
            "metric": "intl_minutes",
            "timestamp": (at + timedelta(minutes=i)).isoformat(),
            "value": 1,
        }
        for i in range(count)
    ]


def _deliver_alerts() -> int:
    """What SQS's event source mapping does for SendSpendAlertsFunction; returns messages handled."""
    import boto3

    handler = handler_for("SendSpendAlertsFunction")

    def worker(event: dict[str, Any]) -> Any:
        with lambda_output():
            return handler(event, LambdaContext(function_name="SendSpendAlertsFunction"))

    drained = deliver_batches(
        boto3.client("sqs"), os.environ["SPEND_ALERT_QUEUE_URL"], worker, visibility_timeout=30, deadline_s=60
    )
    return drained.messages


def _alert_emails(env: Any, address: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(env.moto_url, address) if "passerat" in str(m.get("subject", ""))]


@pytest.fixture
def on_today(scenario_clock: Any) -> None:
    scenario_clock(TODAY)


def test_an_alert_fires_once_when_ingestion_crosses_it_never_before_never_twice(
    local_env, tenant_id, on_today
):
    # Given a customer whose invoice so far (December's fee, no November usage yet) is below the
    # merchant's default alert by a known number of international minutes
    key, (customer,) = _tenant(tenant_id)
    base = _spent(tenant_id, "c00001")
    threshold_kr = math.ceil((base + 20 * MINUTE_INCL_VAT) / 100)
    _set_default(tenant_id, threshold_kr)
    threshold = threshold_kr * 100
    needed = math.ceil((threshold - base) / MINUTE_INCL_VAT)  # minutes that reach it
    url = local_env.server.url
    # When usage arrives in batches that stay below the threshold
    sent = 0
    for n, size in enumerate((5, 5, needed - 11)):
        status, body = _post(url, key, {"events": _minutes(f"below{n}", size)})
        assert status == 200 and body["accepted"] == size
        sent += size
        # Then nothing fires: the invoice so far is below it, the alert is untouched, no email is queued
        assert _spent(tenant_id, "c00001") < threshold
        assert "fired" not in _alert(tenant_id, "c00001")
    assert _deliver_alerts() == 0 and _alert_emails(local_env, customer.email) == []
    # When one more batch crosses it
    crossing = {"events": _minutes("cross", 3)}
    assert _post(url, key, crossing)[1]["accepted"] == 3
    spent = _spent(tenant_id, "c00001")
    assert spent >= threshold
    # Then the period is marked fired with the amount it had, in one write
    alert = _alert(tenant_id, "c00001")
    assert alert["fired"] == "2026-11-01" and alert["fired_amount"] == spent
    # When the same batch is retried, a batch repeats earlier ids, and events for earlier days arrive
    assert _post(url, key, crossing)[1]["duplicates"] == 3
    mixed = _minutes("below0", 2) + _minutes("late", 4, day=TODAY - timedelta(days=9))
    result = _post(url, key, {"events": mixed})[1]
    assert result["duplicates"] == 2 and result["accepted"] == 4
    assert (
        _post(url, key, {"events": _minutes("more", 30, day=TODAY - timedelta(days=3))})[1]["accepted"] == 30
    )
    # And the queue is delivered (twice over: a redelivery finds the email claimed)
    _deliver_alerts()
    _deliver_alerts()
    # Then exactly one email went out, with the threshold and the invoice so far line by line
    (email,) = _alert_emails(local_env, customer.email)
    body = str(email.get("body") or email.get("text") or email)
    assert "Samtal till utlandet" in body
    assert _alert(tenant_id, "c00001")["mailed"] == "2026-11-01"
    # And it stays one whatever arrives later in the period
    assert _post(url, key, {"events": _minutes("after", 10)})[1]["accepted"] == 10
    _deliver_alerts()
    assert len(_alert_emails(local_env, customer.email)) == 1
    # And `billing report engagement` counts one alert fired, in November
    assert engagement_by_month(tenant_id)["spend alerts fired"]["2026-11"] == 1


def test_the_crossing_batch_sent_twice_at_once_fires_once(local_env, tenant_id, on_today):
    # Given a customer one batch below the default alert
    key, (customer,) = _tenant(tenant_id)
    base = _spent(tenant_id, "c00001")
    threshold_kr = math.ceil((base + 5 * MINUTE_INCL_VAT) / 100)
    _set_default(tenant_id, threshold_kr)
    needed = math.ceil((threshold_kr * 100 - base) / MINUTE_INCL_VAT)
    batch = {"events": _minutes("twice", needed + 2)}
    # When the crossing batch is sent twice at the same moment (a client retrying too eagerly)
    answers: list[Any] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(_post(local_env.server.url, key, batch))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then the events count once, and the alert fires and emails once
    assert sorted(a[1]["accepted"] for a in answers) == [0, needed + 2]
    _deliver_alerts()
    _deliver_alerts()
    assert len(_alert_emails(local_env, customer.email)) == 1


def test_the_customer_sets_changes_and_removes_the_alert_from_the_page_without_logging_in(
    local_env, tenant_id, on_today
):
    # Given an invoice page with no alert (no merchant default)
    key, (customer,) = _tenant(tenant_id)
    (item,) = invoices_of(tenant_id)
    stored = invoice_ledger().get(tenant_id, item.invoice_id)
    assert stored is not None
    page_url = f"{local_env.server.url}/i/{stored.page_token}"
    form_url = f"{local_env.server.url}/v1/pages/{stored.page_token}/spend-alert"
    _, _, page = fetch(page_url)
    assert 'data-testid="spend-alert-form"' in page and f'action="{form_url}"' in page
    # When the customer asks to be told at 1 000 kr (a plain form post)
    status, headers, _ = request(
        form_url, method="POST", data=urllib.parse.urlencode({"amount": "1 000"}).encode()
    )
    # Then they are back on their page, which shows the alert, and an email confirms it
    assert status == 303 and headers["Location"] == page_url + "#block-spend-alert"
    assert _alert(tenant_id, "c00001")["threshold"] == 100000
    _, _, page = fetch(page_url)
    assert "1\u00a0000\u00a0kr" in page and 'data-testid="spend-alert-remove"' in page
    confirmations = [
        m for m in emails_to(local_env.moto_url, customer.email) if "ändrad" in str(m.get("subject"))
    ]
    assert len(confirmations) == 1
    # When the same form is posted again, nothing more is stored or sent
    request(form_url, method="POST", data=b"amount=1000")
    confirmations = [
        m for m in emails_to(local_env.moto_url, customer.email) if "ändrad" in str(m.get("subject"))
    ]
    assert len(confirmations) == 1
    # When an amount that is no amount is posted, it is refused naming the field, and nothing changes
    for bad in (b"amount=", b"amount=-5", b"amount=abc", b"amount=1e9", b"amount=" + b"9" * 40):
        status, _, text = request(form_url, method="POST", data=bad)
        assert status == 400 and "amount" in text
    assert _alert(tenant_id, "c00001")["threshold"] == 100000
    # And a link that is no invoice's is 404
    assert (
        request(f"{local_env.server.url}/v1/pages/{'x' * 32}/spend-alert", method="POST", data=b"amount=5")[0]
        == 404
    )
    # When they remove it
    status, _, _ = request(form_url, method="POST", data=b"remove=1")
    assert status == 303
    alert = _alert(tenant_id, "c00001")
    assert alert["chosen"] is True and alert["threshold"] is None
    _, _, page = fetch(page_url)
    assert 'data-testid="spend-alert-remove"' not in page
    # Then usage far past any amount fires nothing
    assert _post(local_env.server.url, key, {"events": _minutes("lots", 90)})[1]["accepted"] == 90
    assert _deliver_alerts() == 0
    assert "fired" not in _alert(tenant_id, "c00001")
    # And `billing report engagement` counts November's one alert set and one removed
    report = engagement_by_month(tenant_id)
    assert report["spend alerts set"]["2026-11"] == 1 and report["spend alerts removed"]["2026-11"] == 1
    assert sum(report["spend alerts fired"].values()) == 0
