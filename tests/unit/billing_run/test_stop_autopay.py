"""The customer stops automatic payment from the invoice page (StopAutopay), against the billing run's
fakes: a card mandate goes inactive for good and this invoice is no longer charged; an Autogiro mandate
is cancelled through its own use case; each stop is audited, the page published again, and confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from billing.domain.merchant_events import EventDraft
from billing.domain.payments import StripeInvoiceRecord, stripe_record
from billing.services.errors import NoAutopay, PermanentError
from billing.services.invoice_pages import InvoiceNotFound
from billing.services.payment_control import StopAutopay
from billing.services.ports import StoredInvoice
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing_run import FakeInvoiceLedger
from tests.unit.billing_run.test_issue_invoice import TENANT, World


@dataclass
class FakeCardMandates:
    """`CardMandates` over the run's ledger: customers' Stripe records, and the invoice's own."""

    ledger: FakeInvoiceLedger
    customers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[EventDraft] = field(default_factory=list)

    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]:
        return dict(self.customers.get((tenant_id, customer_id), {}))

    def change_customer_record(self, tenant_id: str, customer_id: str, change: Any) -> Any:
        changed = change(self.customer_record(tenant_id, customer_id))
        if changed is not None:
            self.customers[(tenant_id, customer_id)] = dict(changed[0])
            if changed[1] is not None:
                self.events.append(changed[1])
        return changed

    def update_invoice_record(self, tenant_id: str, invoice_id: str, change: Any) -> StripeInvoiceRecord:
        stored = self.ledger.invoices[(tenant_id, invoice_id)]
        record = change(stripe_record(stored.state))
        self.ledger._set(tenant_id, invoice_id, state={**stored.state, "stripe": record.to_record()})
        return record


class Confirmation:
    def stopped(
        self, stored: StoredInvoice, tenant_name: str, method: str, page_url: str
    ) -> tuple[str, str, str]:
        return f"Stopped: {stored.invoice.number}", f"{tenant_name} {method} {page_url}", "<p>stopped</p>"


class Cancelled(list[tuple[str, str]]):
    def __call__(self, tenant_id: str, customer_id: str) -> object:
        self.append((tenant_id, customer_id))
        return None


def _world(
    state: dict[str, Any], *, autogiro: bool = True
) -> tuple[World, StopAutopay, FakeCardMandates, FakeAuditTrail, Cancelled, StoredInvoice]:
    world = World(1)
    world.worker(world.request())
    (stored,) = world.stored()
    world.ledger._set(TENANT, stored.invoice_id, state=state)
    cards, audit, cancelled = FakeCardMandates(world.ledger), FakeAuditTrail(), Cancelled()
    cards.customers[(TENANT, stored.invoice.customer_id)] = {
        "mandate": {"status": "active", "mandate_ref": "pm_card_visa"}
    }
    stop = StopAutopay(
        invoices=world.ledger,
        pages=world.pages,
        cards=cards,
        cancel_autogiro=cancelled if autogiro else None,
        mailer=world.mailer,
        confirmation=Confirmation(),
        audit=audit,
        clock=world.clock,
        pages_base_url="https://pages.example/",
    )
    return world, stop, cards, audit, cancelled, world.stored()[0]


def test_a_card_mandate_stops_for_good_and_the_invoice_is_no_longer_charged() -> None:
    # Given an open invoice paid automatically by card
    world, stop, cards, audit, _, stored = _world({"stripe": {"autopay": "active"}})
    mails = len(world.mailer.sent)
    # When the customer stops automatic payment on its page
    stopped = stop(stored.page_token)
    # Then the card mandate is inactive (final) with one mandate.cancelled, and this invoice is stopped
    assert stopped.method == "card"
    record = cards.customers[(TENANT, stored.invoice.customer_id)]
    assert record["mandate"]["status"] == "inactive"
    (event,) = cards.events
    assert event.event_type == "mandate.cancelled"
    assert {k: event.payload.get(k) for k in ("method", "by")} == {"method": "card", "by": "customer"}
    assert world.ledger.invoices[(TENANT, stored.invoice_id)].state["stripe"]["autopay"] == "stopped"
    # And it is audited, and confirmed by email with the page's link
    (audited,) = audit.events(TENANT, stored.invoice_id)
    assert (audited.action, audited.details) == ("autopay_stopped", {"method": "card"})
    assert len(world.mailer.sent) == mails + 1
    assert world.mailer.sent[-1]["text"].endswith(f"card https://pages.example/i/{stored.page_token}")
    # And a second stop finds nothing paid automatically any more: refused, no second event
    with pytest.raises(NoAutopay):
        stop(stored.page_token)
    assert len(cards.events) == 1


def test_an_autogiro_mandate_is_cancelled_through_its_own_use_case() -> None:
    _, stop, cards, audit, cancelled, stored = _world({"autogiro": {"mandate": {"status": "approved"}}})
    assert stop(stored.page_token).method == "autogiro"
    assert cancelled == [(TENANT, stored.invoice.customer_id)]
    assert cards.events == []  # the card record is not touched
    assert audit.events(TENANT, stored.invoice_id)[0].details == {"method": "autogiro"}


def test_refusals_name_their_field() -> None:
    # An Autogiro invoice where Autogiro is not set up
    _, stop, _, _, _, stored = _world({"autogiro": {"mandate": {"status": "approved"}}}, autogiro=False)
    with pytest.raises(PermanentError) as not_set_up:
        stop(stored.page_token)
    assert not_set_up.value.field == "autogiro"
    # An invoice paid by hand, and a link that is no invoice's
    _, stop, _, audit, _, stored = _world({})
    with pytest.raises(NoAutopay) as manual:
        stop(stored.page_token)
    assert manual.value.field == "token"
    with pytest.raises(InvoiceNotFound):
        stop("y" * 32)
    assert audit.trails == {}
