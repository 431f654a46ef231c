"""Changing how one pays (billing.services.payment_method_change), with stand-ins for its ports: each
change path ends the method it replaces and is confirmed once, in the customer's language; a send
that fails goes out on the flow's next repeat, and a repeat after a sent one sends nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from billing.adapters.payment_control_mail import MethodChangeConfirmationMail
from billing.domain.invoice import Invoice, Party
from billing.domain.payments import StripeInvoiceRecord
from billing.services.outbox.catalog import MandateChanged
from billing.services.payment_method_change import ChangePaymentMethod
from billing.services.ports import AuditEvent, StoredInvoice
from tests.fakes.tenants import a_tenant_account
from tests.unit.outbox.fakes import MemoryCustomerStreams

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)


def _stored() -> StoredInvoice:
    party = Party(name="Saga Lund", address=("Storgatan 1",), country="SE")
    invoice = Invoice(
        invoice_id="inv_1", kind="invoice", tenant_id="t1", customer_id="c1", currency="SEK", language="sv",
        issue_date=date(2026, 12, 1), due_date=date(2026, 12, 31), period=None, seller=party, buyer=party,
        lines=(), vat=(), subtotal=10000, vat_total=2500, rounding=0, total=12500, amount_due=12500,
        number="NM-1",
    )  # fmt: skip
    return StoredInvoice(invoice=invoice, page_token="p" * 32, status="open", amount_due=12500)


@dataclass
class World:
    card: dict[str, Any] = field(default_factory=dict)
    invoice_record: StripeInvoiceRecord = field(default_factory=StripeInvoiceRecord)
    autogiro: bool = False
    cancelled: int = 0
    fail_sends: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    streams: MemoryCustomerStreams = field(default_factory=MemoryCustomerStreams)

    # CardMandates
    def customer_record(self, tenant_id: str, customer_id: str) -> dict[str, Any]:
        return dict(self.card)

    def change_customer_record(self, tenant_id: str, customer_id: str, change: Any) -> Any:
        changed = change(self.customer_record(tenant_id, customer_id))
        if changed is not None:
            self.card = dict(changed[0])
            self.streams.commit(tenant_id, customer_id, changed[1])  # with the record, as the adapter does
        return changed

    def update_invoice_record(self, tenant_id: str, invoice_id: str, change: Any) -> StripeInvoiceRecord:
        self.invoice_record = change(self.invoice_record)
        return self.invoice_record

    # Mailer
    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        if self.fail_sends:
            self.fail_sends -= 1
            raise ConnectionError("SES is down")
        self.sent.append((subject, text))
        return "m"

    def cancel(self, tenant_id: str, customer_id: str) -> None:
        self.cancelled += 1
        self.autogiro = False


def _use_case(world: World) -> ChangePaymentMethod:
    stored = _stored()
    tenant = a_tenant_account({"name": "Norrsken Mobil"}, legal_name="N AB")
    account = SimpleNamespace(email="saga@example.se")
    return ChangePaymentMethod(
        invoices=SimpleNamespace(get=lambda t, i: stored),  # type: ignore[arg-type]
        pages=SimpleNamespace(load=lambda s: (tenant, account)),  # type: ignore[arg-type]
        cards=world,
        cancel_autogiro=world.cancel,
        autogiro_in_force=lambda t, c: world.autogiro,
        mailer=world,
        mail=MethodChangeConfirmationMail(),
        audit=SimpleNamespace(  # type: ignore[arg-type]
            append=lambda t, i, e: world.events.append(e), events=lambda t, i: list(world.events)
        ),
        clock=SimpleNamespace(now=lambda: NOW),  # type: ignore[arg-type]
        pages_base_url="https://pages.example",
    )


ACTIVE_CARD = {"mandate": {"status": "active", "payment_method_ref": "pm_1"}}


@pytest.mark.parametrize(
    ("card", "autogiro", "new", "previous", "words"),
    [
        (ACTIVE_CARD, False, "autogiro", "card", "från automatisk kortbetalning till Autogiro"),
        ({}, True, "card", "autogiro", "från Autogiro till automatisk kortbetalning"),
        ({}, False, "card", "manual", "från betalning på egen hand till automatisk kortbetalning"),
        ({}, False, "autogiro", "manual", "från betalning på egen hand till Autogiro"),
    ],
)
def test_each_change_ends_the_old_method_and_is_confirmed_once(card, autogiro, new, previous, words):
    world = World(card=dict(card), autogiro=autogiro)
    change = _use_case(world)
    # Given the method in force is found from the customer's records
    assert change.previous_method("t1", "c1", new) == previous
    # When the new method's flow reports it started, twice (a repeated post, a redelivered event)
    change.started(_stored(), new, previous, "ref-1")
    change.started(_stored(), new, previous, "ref-1")
    # Then the old method is ended once and the customer told once, in Swedish, with the page link
    assert len(world.sent) == 1, world.sent
    subject, text = world.sent[0]
    assert words in text and "https://pages.example/i/" in text and "Norrsken Mobil" in subject
    if previous == "card":
        assert world.card["mandate"]["status"] == "inactive" and world.invoice_record.autopay == "stopped"
        # And the merchant hears once that the card mandate ended, by the customer's choice
        (ended,) = world.streams.events("t1", "c1", "mandate.cancelled")
        data = MandateChanged.model_validate(ended.payload)
        assert (data.method, data.reference, data.status, data.by) == (
            "card",
            "pm_1",
            "cancelled",
            "customer",
        )
    else:
        assert world.streams.events("t1", "c1") == []
    assert world.cancelled == (1 if previous == "autogiro" else 0)
    assert [e.action for e in world.events] == ["payment_method_changed", "payment_method_change_confirmed"]


def test_a_failed_send_goes_out_on_the_next_repeat_and_only_then():
    world = World(card=dict(ACTIVE_CARD), fail_sends=1)
    change = _use_case(world)
    with pytest.raises(ConnectionError):
        change.started(_stored(), "autogiro", "card", "ref-1")
    assert world.sent == [] and world.card["mandate"]["status"] == "inactive"  # changed, not confirmed
    # The flow repeats (the form posted again): the confirmation goes now, once
    assert change.confirm_pending(_stored()) == 1
    assert change.confirm_pending(_stored()) == 0
    change.started(_stored(), "autogiro", "card", "ref-1")
    assert len(world.sent) == 1


def test_a_later_change_is_its_own_confirmation():
    world = World()
    change = _use_case(world)
    change.started(_stored(), "card", "manual", "seti_1")
    world.autogiro = False
    change.started(_stored(), "autogiro", "card", "payer-1")
    assert [s for s, _ in world.sent] == ["Nytt betalsätt: automatisk kortbetalning – Norrsken Mobil",
                                          "Nytt betalsätt: Autogiro – Norrsken Mobil"]  # fmt: skip
