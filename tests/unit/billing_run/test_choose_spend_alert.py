"""The customer sets, changes or removes a spend alert from the invoice page (ChooseSpendAlert), against
the billing run's fakes: stored by one conditional write, audited, counted, the page published again,
confirmed by email; the same form twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from billing.services.errors import PermanentError, RetryableError
from billing.services.invoice_pages import InvoiceNotFound
from billing.services.spend_alerts.choose import ChooseSpendAlert
from billing.services.spend_alerts.ports import AlertReader
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing_run import FakeCustomers
from tests.unit.billing_run.test_issue_invoice import TENANT, World


@dataclass
class FakeSpendAlertStore:
    """`SpendAlertStore` over the run's customers: the alert document, replaced only if unchanged."""

    customers: FakeCustomers
    changed_behind: int = 0  # how many writes a concurrent change beats

    def replace(
        self, tenant_id: str, customer_id: str, before: dict[str, Any], after: dict[str, Any]
    ) -> bool:
        account = self.customers.accounts[(tenant_id, customer_id)]
        if self.changed_behind:
            self.changed_behind -= 1
            return False
        if dict(account.spend_alert or {}) != dict(before or {}):
            return False
        self.customers.accounts[(tenant_id, customer_id)] = replace(account, spend_alert=dict(after))
        return True


class Mail:
    def crossed(self, reader: AlertReader, **_: Any) -> tuple[str, str, str]:
        raise AssertionError("choosing an alert never sends the alert itself")

    def confirmed(self, reader: AlertReader, *, threshold: int | None, page_url: str) -> tuple[str, str, str]:
        return f"alert {threshold}", f"{reader.name} {threshold} {page_url}", "<p>ok</p>"


@dataclass
class Counts:
    added: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, tenant_id: str, month: str, name: str, value: int = 1) -> None:
        self.added.append((tenant_id, month, name))

    def month_counts(self, tenant_id: str, first: str, last: str) -> dict[tuple[str, str], int]:
        return {}


def _world() -> tuple[World, ChooseSpendAlert, FakeSpendAlertStore, FakeAuditTrail, Counts, str]:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    store, audit, counts = FakeSpendAlertStore(world.customers), FakeAuditTrail(), Counts()
    choose = ChooseSpendAlert(
        invoices=world.ledger,
        pages=world.pages,
        store=store,
        mailer=world.mailer,
        mail=Mail(),
        audit=audit,
        clock=world.clock,
        pages_base_url="https://pages.example",
        counts=counts,
    )
    return world, choose, store, audit, counts, stored.page_token


def test_an_alert_is_set_once_confirmed_and_a_second_identical_post_changes_nothing() -> None:
    world, choose, _, audit, counts, token = _world()
    mails = len(world.mailer.sent)
    # When the customer asks to hear when the month passes 1 200,50 kr, and posts the form twice
    first = choose(token, {"amount": "1 200,50 kr"})
    again = choose(token, {"amount": "1200.50"})
    # Then the alert is stored in öre once, for every later period too
    assert (first.threshold, first.changed, again.changed) == (120050, True, False)
    account = world.customers.get(TENANT, first.stored.invoice.customer_id)
    assert account is not None and account.spend_alert["threshold"] == 120050
    # And it is audited and counted once, and confirmed by one email with the page's link
    (event,) = audit.events(TENANT, first.stored.invoice_id)
    assert (event.action, event.details) == ("spend_alert_set", {"threshold": 120050})
    assert [name for _, _, name in counts.added] == ["alerts_set"]
    assert len(world.mailer.sent) == mails + 1
    assert world.mailer.sent[-1]["text"].endswith(f"120050 https://pages.example/i/{token}")


def test_an_alert_is_removed_and_the_removal_audited() -> None:
    _, choose, _, audit, counts, token = _world()
    choose(token, {"amount": "500"})
    removed = choose(token, {"remove": "1"})
    assert (removed.threshold, removed.changed) == (None, True)
    assert [e.action for e in audit.events(TENANT, removed.stored.invoice_id)] == [
        "spend_alert_set",
        "spend_alert_removed",
    ]
    assert [name for _, _, name in counts.added] == ["alerts_set", "alerts_removed"]


def test_a_concurrent_change_is_read_again_and_one_that_never_stops_is_retryable() -> None:
    world, choose, store, _, _, token = _world()
    store.changed_behind = 2  # two writes lose to a concurrent change, the third wins
    assert choose(token, {"amount": "300"}).changed
    store.changed_behind = 99
    with pytest.raises(RetryableError):
        choose(token, {"amount": "400"})
    account = next(iter(world.customers.accounts.values()))
    assert account.spend_alert["threshold"] == 30000


@pytest.mark.parametrize("amount", ["", "abc", "0", "-5", "1e9", None])
def test_an_amount_that_is_not_kronor_is_refused_by_field(amount: Any) -> None:
    _, choose, _, audit, _, token = _world()
    with pytest.raises(PermanentError) as refused:
        choose(token, {"amount": amount})
    assert refused.value.field == "amount" and audit.trails == {}


def test_a_link_that_is_no_invoices_is_not_found() -> None:
    _, choose, _, _, _, _ = _world()
    with pytest.raises(InvoiceNotFound):
        choose("q" * 32, {"amount": "500"})
