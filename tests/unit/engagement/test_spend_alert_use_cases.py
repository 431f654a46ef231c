"""Spend alerts with in-memory ports: the threshold rules, the watch ingestion calls, the email sender's
claim and the customer's choice. The local-stack test (tests/integration/test_spend_alerts.py) drives
the same use cases through real ingestion."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.spend_alerts import SpendAlert, SpendAlertError, parse_threshold, tenant_default
from billing.services.errors import RetryableError
from billing.services.ports import CustomerAccount, TenantAccount
from billing.services.spend_alerts.send import SendSpendAlert
from billing.services.spend_alerts.watch import WatchSpend
from tests.unit.usage.test_ingest_usage import FixedClock, _account, _tenant

NOW = datetime(2026, 11, 23, 18, tzinfo=UTC)
PERIOD = date(2026, 11, 1)


@dataclass
class FakeUsage:
    """Daily totals of international minutes (119.2 öre each, excl. VAT, in the demo catalog)."""

    minutes: int = 0

    def events(self, *args: Any) -> list[Any]:
        return []

    def daily(
        self, tenant_id: str, customer_id: str, first: date, last: date, shards: int = 1
    ) -> dict[Any, Any]:
        return (
            {(date(2026, 11, 20), "intl_minutes"): (Decimal(self.minutes), self.minutes)}
            if self.minutes
            else {}
        )


@dataclass
class FakeStore:
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: int = 0
    fail_next: bool = False

    def replace(
        self, tenant_id: str, customer_id: str, before: dict[str, Any], after: dict[str, Any]
    ) -> bool:
        if self.fail_next:
            self.fail_next = False
            return False
        if self.docs.get(customer_id, {}) != before:
            return False
        self.docs[customer_id] = after
        self.writes += 1
        return True


@dataclass
class FakeQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def _with_alert(account: CustomerAccount, doc: dict[str, Any]) -> CustomerAccount:
    return replace(account, spend_alert=doc)


def _tenant_with_default(kr: int | None) -> TenantAccount:
    tenant = _tenant()
    return replace(tenant, page={"spend_alerts": {"default": str(kr)}} if kr else {})


def _spent_with(minutes: int) -> int:
    """The invoice so far incl. VAT as the watch computes it: December's fee plus the minutes."""
    alert = {"chosen": True, "threshold": 1}
    store, queue = FakeStore({"c1": alert}), FakeQueue()
    account = _account("c1", date(2026, 12, 1))
    watch = WatchSpend(store=store, queue=queue, usage=FakeUsage(minutes))
    # A threshold of 1 öre fires at once and records what it saw.
    watch(_tenant(), [_with_alert(account, alert)], NOW)
    return int(store.docs["c1"]["fired_amount"])


def test_thresholds_are_read_as_people_type_kronor_and_refused_naming_the_field():
    assert parse_threshold("500") == 50000
    assert parse_threshold("1 200,50 kr") == 120050
    assert parse_threshold("99.5") == 9950
    for bad in ("", "0", "-5", "abc", "1e9", "5,555", "9" * 12, None):
        with pytest.raises(SpendAlertError) as err:
            parse_threshold(bad)
        assert err.value.field == "amount"
    assert tenant_default({"spend_alerts": {"default": "750"}}) == 75000
    with pytest.raises(SpendAlertError) as err:
        tenant_default({"spend_alerts": {"defualt": "750"}})
    assert err.value.field == "spend_alerts.defualt"


def test_the_customers_choice_wins_over_the_default_and_a_fired_period_never_fires_again():
    alert = SpendAlert()
    assert alert.effective(50000) == 50000
    removed = alert.choose(None, NOW)
    assert removed.effective(50000) is None
    fired = alert.choose(30000, NOW).fire(PERIOD, 31000)
    assert fired.armed(None, PERIOD) is None and fired.armed(None, date(2026, 12, 1)) == 30000
    # A new threshold in the same period does not re-arm it: never twice for the same month
    assert fired.choose(90000, NOW).armed(None, PERIOD) is None
    assert SpendAlert.from_dict(fired.to_dict()) == fired


def test_the_watch_fires_once_when_the_invoice_so_far_reaches_the_threshold_not_before():
    per_minute = _spent_with(1) - _spent_with(0)
    assert per_minute == 149  # 119.2 öre + 25 % VAT
    threshold = _spent_with(0) + 10 * per_minute
    store, queue = FakeStore({"c1": {"chosen": True, "threshold": threshold}}), FakeQueue()
    usage = FakeUsage()
    watch = WatchSpend(store=store, queue=queue, usage=usage)
    account = _account("c1", date(2026, 12, 1))
    for minutes in (0, 5, 9):
        usage.minutes = minutes
        assert watch(_tenant(), [_with_alert(account, store.docs["c1"])], NOW) == 0
    assert store.writes == 0 and queue.sent == []
    usage.minutes = 10
    assert watch(_tenant(), [_with_alert(account, store.docs["c1"])], NOW) == 1
    assert store.writes == 1 and store.docs["c1"]["fired"] == "2026-11-01"
    assert queue.sent == [
        {"type": "SpendAlertFired", "tenant_id": "t1", "customer_id": "c1", "period": "2026-11-01"}
    ]
    # Usage keeps coming: no second write; the email not yet confirmed is queued again (the sender
    # claims it, so that is one email), until it is
    usage.minutes = 40
    assert watch(_tenant(), [_with_alert(account, store.docs["c1"])], NOW) == 0
    assert store.writes == 1 and len(queue.sent) == 2
    store.docs["c1"] = {**store.docs["c1"], "mailed": "2026-11-01"}
    watch(_tenant(), [_with_alert(account, store.docs["c1"])], NOW)
    assert len(queue.sent) == 2


def test_a_concurrent_writer_that_fired_first_wins_and_nothing_is_queued():
    store, queue = FakeStore({"c1": {}}), FakeQueue()
    store.fail_next = True  # the conditional write finds the document changed
    watch = WatchSpend(store=store, queue=queue, usage=FakeUsage(500))
    account = _account("c1", date(2026, 12, 1))
    assert watch(_tenant_with_default(1), [account], NOW) == 0
    assert queue.sent == []


def test_no_alert_no_work_and_a_default_applies_until_the_customer_chooses():
    queue = FakeQueue()
    watch = WatchSpend(store=FakeStore(), queue=queue, usage=FakeUsage(10_000))
    account = _account("c1", date(2026, 12, 1))
    assert watch(_tenant(), [account], NOW) == 0
    removed = _with_alert(account, {"chosen": True, "threshold": None})
    assert watch(_tenant_with_default(100), [removed], NOW) == 0
    assert watch(_tenant_with_default(100), [account], NOW) == 1


@dataclass
class FakeCustomers:
    account: CustomerAccount
    store: FakeStore

    def get(self, tenant_id: str, customer_id: str) -> CustomerAccount | None:
        return replace(self.account, spend_alert=self.store.docs.get(customer_id, {}))

    def due(self, tenant_id: str, on: date) -> Any:
        return iter(())


class FakeTenants:
    def get(self, tenant_id: str) -> TenantAccount:
        return _tenant()


class NoInvoices:
    def history(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


@dataclass
class FakeMailer:
    fail: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, **message: Any) -> str:
        if self.fail:
            raise RetryableError("SES is down")
        self.sent.append(message)
        return f"msg-{len(self.sent)}"


class FakeMail:
    def crossed(self, reader: Any, **kwargs: Any) -> tuple[str, str, str]:
        return "alert", f"passed {kwargs['threshold']}", "<p>alert</p>"


def _sender(store: FakeStore, mailer: FakeMailer) -> SendSpendAlert:
    return SendSpendAlert(
        customers=FakeCustomers(_account("c1", date(2026, 12, 1)), store),
        tenants=FakeTenants(),
        usage=FakeUsage(30),
        invoices=NoInvoices(),  # type: ignore[arg-type]
        store=store,
        mailer=mailer,
        mail=FakeMail(),
        clock=FixedClock(NOW),
        pages_base_url="https://pages.example",
    )


def test_the_alert_email_goes_out_once_and_a_failed_send_gives_the_claim_back():
    store = FakeStore({"c1": {"chosen": True, "threshold": 100, "fired": "2026-11-01", "fired_amount": 200}})
    message = {"tenant_id": "t1", "customer_id": "c1", "period": "2026-11-01"}
    # When SES fails, the claim is given back and the error raised (the queue delivers again)
    with pytest.raises(RetryableError):
        _sender(store, FakeMailer(fail=True))(message)
    assert "mailed" not in store.docs["c1"]
    # Then the redelivery sends it, and any later delivery of the same message sends nothing
    mailer = FakeMailer()
    assert _sender(store, mailer)(message) is True
    assert _sender(store, mailer)(message) is False
    assert len(mailer.sent) == 1 and store.docs["c1"]["mailed"] == "2026-11-01"
    # And a message for a period that did not fire sends nothing
    assert _sender(store, mailer)({**message, "period": "2026-10-01"}) is False
