"""ProcessStripeEvent's mandate events and FollowMandate over in-memory fakes (tests/fakes, the outbox's
memory ports): what follows a card mandate's change is its outbox event's `autopay` effect, done once
before the merchant hears of it, and still done when the processor dies right after its commit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from billing.domain.merchant_events import customer_stream
from billing.domain.outbox import OutboxEvent
from billing.domain.payments import ChargeRecord, MandateActivated, MandateDetached, StripeInvoiceRecord
from billing.services.errors import PermanentError, RetryableError
from billing.services.outbox import DriveOutbox
from billing.services.payments import FollowMandate, ProcessStripeEvent
from billing.services.ports import StoredInvoice
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.stripe import FakePaymentEmails, FakeStripeRecords
from tests.unit.billing_run.test_issue_invoice import NOW, TENANT, World
from tests.unit.outbox.fakes import MemoryCustomerStreams, MemoryMerchant, MemoryMoneyAudit


class Crash(Exception):
    """The process dies here."""


@dataclass
class FakeMethodChange:
    """`MethodChange`: the method the customer had before, and each change started."""

    previous: str = "manual"
    started_with: list[tuple[str, str, str, str]] = field(default_factory=list)

    def previous_method(self, tenant_id: str, customer_id: str, new: str) -> str:
        return self.previous

    def started(self, stored: StoredInvoice, new: str, previous: str, ref: str) -> None:
        self.started_with.append((stored.invoice_id, new, previous, ref))


class Stripe:
    """The processor, the outbox's driver and the follow-up over one world of fakes."""

    def __init__(self, customers: int = 1, previous: str = "manual") -> None:
        self.world = World(customers)
        for request in [self.world.request(f"c{n:05d}") for n in range(1, customers + 1)]:
            self.world.worker(request)
        self.invoices = self.world.stored()
        self.streams = MemoryCustomerStreams()
        self.records = FakeStripeRecords(
            open_invoices={(TENANT, s.invoice.customer_id): [s.invoice_id] for s in self.invoices},
            commit=self.streams.commit,
        )
        self.emails, self.audit = FakePaymentEmails(), FakeAuditTrail()
        self.changes = FakeMethodChange(previous)
        self.merchant = MemoryMerchant()
        self.follow = FollowMandate(
            records=self.records,
            invoices=self.world.ledger,
            pages=self.world.pages,
            emails=self.emails,
            audit=self.audit,
            method_change=self.changes,
        )

    def drive(self, *, can_follow: bool = True) -> DriveOutbox:
        return DriveOutbox(
            outbox=self.streams.outbox,
            money_audit=MemoryMoneyAudit(),
            invoices=self.world.ledger,
            pages=self.world.pages,
            receipts=None,
            audit=self.audit,
            merchant=self.merchant,
            clock=self.world.clock,
            autopay=self.follow if can_follow else None,
        )

    def process(self, event: Any, *, drive: DriveOutbox | None = None) -> str:
        processor = ProcessStripeEvent(
            settle=None,  # type: ignore[arg-type]  # mandate events settle nothing
            records=self.records,
            invoices=self.world.ledger,
            pages=self.world.pages,
            emails=self.emails,
            audit=self.audit,
            clock=self.world.clock,
            held=None,  # type: ignore[arg-type]
            read=lambda raw: raw["event"],
            effects=drive or self.drive(),
            method_change=self.changes,
        )
        return processor(TENANT, {"event": event}).outcome

    def autopay(self, stored: StoredInvoice) -> str | None:
        return self.records.invoice_record(TENANT, stored.invoice_id).autopay

    def steps(self, stored: StoredInvoice, action: str) -> int:
        return [e.action for e in self.audit.events(TENANT, stored.invoice_id)].count(action)

    def customer_events(self, customer_id: str = "c00001") -> list[OutboxEvent]:
        return self.streams.events(TENANT, customer_id)


def _activated(
    setup: str = "seti_1", method: str = "pm_1", invoice_id: str | None = None
) -> MandateActivated:
    return MandateActivated(
        event_id=f"evt_{setup}", event_type="setup_intent.succeeded", occurred_at=NOW - timedelta(minutes=1),
        invoice_id=invoice_id, customer_id="c00001", customer_ref="cus_1", payment_method_ref=method,
        mandate_ref=None, setup_ref=setup,
    )  # fmt: skip


def _detached(method: str = "pm_1") -> MandateDetached:
    return MandateDetached(
        event_id=f"evt_detach_{method}", event_type="payment_method.detached", occurred_at=NOW,
        payment_method_ref=method, customer_ref="cus_1",
    )  # fmt: skip


def test_a_new_card_marks_the_open_invoice_and_confirms_the_change_once_before_the_merchant_hears() -> None:
    # Given a customer paying by Autogiro with one open invoice
    stripe = Stripe(previous="autogiro")
    (stored,) = stripe.invoices
    # When a card is set up on its page, and Stripe delivers the event twice
    assert stripe.process(_activated(invoice_id=stored.invoice_id)) == "mandate_active"
    assert stripe.process(_activated(invoice_id=stored.invoice_id)) == "unchanged"
    # Then the invoice will be charged, its trail says so once, and the change is started once
    assert stripe.autopay(stored) == "active" and stripe.steps(stored, "autopay_active") == 1
    assert stripe.changes.started_with == [(stored.invoice_id, "card", "autogiro", "seti_1")]
    # And the merchant heard mandate.approved once, with nothing left to do and no context told
    (approved,) = stripe.customer_events()
    assert approved.pending == () and approved.context["previous"] == "autogiro"
    assert [e["type"] for e in stripe.merchant.unique()] == ["mandate.approved"]
    assert "context" not in stripe.merchant.unique()[0]


def test_a_processor_that_dies_after_its_commit_leaves_the_follow_up_to_the_redelivery() -> None:
    stripe = Stripe()
    (stored,) = stripe.invoices
    refresh = stripe.world.pages.refresh
    # When the process dies while the open invoice's page is refreshed, after the mandate was stored
    died: list[int] = []

    def dying(tenant_id: str, invoice_id: str) -> StoredInvoice:
        if not died:
            died.append(1)
            raise Crash
        return refresh(tenant_id, invoice_id)

    stripe.world.pages.refresh = dying  # type: ignore[method-assign]
    with pytest.raises(Crash):
        stripe.process(_activated())
    # Then the mandate is stored, its event waits with its effects, and the merchant has heard nothing
    assert stripe.records.customer_record(TENANT, "c00001")["mandate"]["status"] == "active"
    (approved,) = stripe.customer_events()
    assert approved.pending == ("autopay", "merchant") and stripe.merchant.unique() == []
    # When a driver that cannot follow mandates (another function's) meets it, it leaves it waiting
    with pytest.raises(RetryableError):
        stripe.drive(can_follow=False).stream(TENANT, customer_stream("c00001"))
    assert stripe.customer_events()[0].pending == ("autopay", "merchant")
    # When Stripe delivers the event again
    assert stripe.process(_activated()) == "unchanged"
    # Then what followed is done once, and the merchant hears of it after
    assert stripe.autopay(stored) == "active" and stripe.steps(stored, "autopay_active") == 1
    assert stripe.customer_events()[0].pending == ()
    assert [e["type"] for e in stripe.merchant.unique()] == ["mandate.approved"]
    assert stripe.changes.started_with == [(stored.invoice_id, "card", "manual", "seti_1")]


def test_an_ended_card_hands_back_only_this_customers_invoices_with_one_email() -> None:
    # Given two customers with an open invoice each, the first paying by card
    stripe = Stripe(customers=2)
    first, second = stripe.invoices
    assert first.invoice.customer_id == "c00001" != second.invoice.customer_id
    stripe.process(_activated())
    # When the card is detached at Stripe (delivered twice)
    assert stripe.process(_detached()) == "mandate_inactive"
    assert stripe.process(_detached()) == "unchanged"
    # Then the first customer's invoice is ordinary again, saying why, and they are told once
    record = stripe.records.invoice_record(TENANT, first.invoice_id)
    assert (record.autopay, record.fallback) == ("stopped", "payment_method_detached")
    assert stripe.emails.sent == [("fallback", first.invoice_id, "payment_method_detached")]
    assert stripe.steps(first, "autopay_stopped") == 1
    # And the other customer's invoice is untouched
    assert stripe.records.invoice_record(TENANT, second.invoice_id) == StripeInvoiceRecord()
    assert [e.event_type for e in stripe.customer_events()] == ["mandate.approved", "mandate.cancelled"]
    assert all(e.pending == () for e in stripe.customer_events())


def test_an_invoice_the_collector_already_charged_keeps_its_record() -> None:
    stripe = Stripe()
    (stored,) = stripe.invoices
    charged = StripeInvoiceRecord(charge=ChargeRecord(attempt=1, status="settled", payment_ref="pi_1"))
    stripe.records.invoices[(TENANT, stored.invoice_id)] = charged
    stripe.process(_activated())
    assert stripe.records.invoice_record(TENANT, stored.invoice_id) == charged


@pytest.mark.parametrize(
    ("context", "field_name"),
    [
        ({}, "context.autopay"),
        ({"autopay": "sometimes"}, "context.autopay"),
        ({"autopay": "stopped"}, "context.fallback"),
        ({"autopay": "stopped", "fallback": "bored"}, "context.fallback"),
        ({"autopay": "active", "previous": "<script>"}, "context.previous"),
    ],
)
def test_an_event_that_does_not_say_what_to_follow_is_refused_by_field(
    context: dict[str, Any], field_name: str
) -> None:
    stripe = Stripe()
    stripe.process(_activated())
    (approved,) = stripe.customer_events()
    with pytest.raises(PermanentError) as refused:
        stripe.follow(replace(approved, context=context))
    assert refused.value.field == field_name


@pytest.mark.parametrize("removal_first", [True, False])
def test_a_new_card_and_the_old_cards_removal_in_either_order_end_charged_by_the_new_card(
    removal_first: bool,
) -> None:
    """Stripe sends the new card's setup and the old card's removal together. When the removal's
    follow-up runs only after the new card was stored (its processor died first), the invoice is not
    handed back and the customer is not told that automatic payment stopped: the new card pays."""
    stripe = Stripe()
    (stored,) = stripe.invoices
    stripe.process(_activated("seti_1", "pm_1"))
    if removal_first:
        with pytest.raises(RetryableError):  # the removal is stored; its processor dies before the rest
            stripe.process(_detached("pm_1"), drive=stripe.drive(can_follow=False))
        assert stripe.process(_activated("seti_2", "pm_2")) == "mandate_active"
    else:
        assert stripe.process(_activated("seti_2", "pm_2")) == "mandate_active"
        assert stripe.process(_detached("pm_1")) == "unchanged"  # not the card in use any more
    assert stripe.records.customer_record(TENANT, "c00001")["mandate"]["payment_method_ref"] == "pm_2"
    assert stripe.autopay(stored) == "active" and stripe.emails.sent == []
    assert all(e.pending == () for e in stripe.customer_events())
    heard = [e["type"] for e in stripe.merchant.unique()]
    assert heard == (
        ["mandate.approved", "mandate.cancelled", "mandate.approved"]
        if removal_first
        else ["mandate.approved", "mandate.approved"]
    )
