"""The outbox drives every effect after a committed change exactly once, whatever fails in between.

Over in-memory ports with the once-only rules of the DynamoDB adapters (tests/unit/outbox/fakes.py)
and the real settlement and driver: an invoice is issued (its invoice.issued event in the issuing
transaction), overpaid by 50 kr, partly refunded, disputed and the dispute lost. One port call fails
once, or the process dies before one, at a seeded random point; the delivery that failed comes again
(as SQS or Stripe redeliver it), and the outbox's sweep runs as its schedule would. Every trial must
end with the state, receipts, audit entries and merchant events of the run without a fault.

The local-stack run (DynamoDB transactions and DynamoDB Local's stream) is
tests/integration/test_outbox_flow.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from billing.domain.audit_trail import accounted_amount_due
from billing.domain.invoice_events import issued_event
from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.domain.payments import (
    DisputeClosed,
    DisputeOpened,
    InvoicePayments,
    PaymentSucceeded,
    RefundIssued,
)
from billing.services.errors import RetryableError
from billing.services.outbox import DriveOutbox
from billing.services.ports import AuditEvent, StoredInvoice
from billing.services.settlement import ApplyPaymentEvent
from tests.unit.outbox.fakes import MemoryMerchant, MemoryMoneyAudit, MemoryOutbox
from tests.unit.outbox.fault_trials import Fault, Killed, every_point, random_trials
from tests.unit.page.builders import invoice

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TENANT = "t1"
TRIALS = 100
OVERPAID = 5_000  # 50 kr more than the invoice


@dataclass
class World:
    fault: Fault = field(default_factory=Fault)
    invoices: dict[str, StoredInvoice] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    receipts: list[tuple[str, int]] = field(default_factory=list)
    pages: set[str] = field(default_factory=set)
    steps: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    now_at: datetime = T0

    def __post_init__(self) -> None:
        self.outbox = MemoryOutbox(lambda: self.fault.tick("outbox"), self.balances)
        self.money_audit = MemoryMoneyAudit(lambda: self.fault.tick("money audit"))
        self.merchant = MemoryMerchant(lambda: self.fault.tick("merchant"))

    # the issuing transaction: the invoice and its invoice.issued event, both or neither
    def issue(self, stored: StoredInvoice) -> None:
        self.fault.tick("issue")
        if stored.invoice_id in self.invoices:
            return
        self.invoices[stored.invoice_id] = replace(stored, event_seq=1)
        # At the run's time: a retried run's later clock would be the only difference to compare away.
        self.outbox.add(issued_event(stored.invoice, T0))

    # InvoiceLedger (what the settlement and the driver read)
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        self.fault.tick("get invoice")
        return self.invoices.get(invoice_id)

    # PaymentStore: one transaction, the invoice and its outbox events
    def save_payments(
        self,
        stored: StoredInvoice,
        payments: InvoicePayments,
        *,
        paid_at: Any,
        disputed: bool,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        self.fault.tick("save payments")
        current = self.invoices[stored.invoice_id]
        if current.state.get("payments") != stored.state.get("payments"):
            return False
        if any((e.tenant_id, e.stream, e.seq) in self.outbox.items for e in events):
            return False
        self.invoices[stored.invoice_id] = replace(
            current,
            state={**current.state, "payments": payments.to_record()},
            amount_paid=payments.amount_paid,
            amount_due=payments.amount_due,
            status="paid" if payments.amount_due == 0 else "open",
            event_seq=events[-1].seq if events else current.event_seq,
        )
        for event in events:
            self.outbox.add(event)
        return True

    # InvoicePages, ReceiptSender, AuditTrail (the step trail: once per event key), Clock
    def load(self, stored: StoredInvoice) -> tuple[Any, Any]:
        self.fault.tick("load page inputs")
        return SimpleNamespace(page={}), SimpleNamespace(
            customer=SimpleNamespace(id=stored.invoice.customer_id)
        )

    def publish(self, stored: StoredInvoice, tenant: Any = None, account: Any = None) -> None:
        self.fault.tick("publish page")
        self.pages.add(stored.invoice_id)

    def send_receipt(self, stored: StoredInvoice, tenant: Any, account: Any, amount: int) -> None:
        self.fault.tick("send receipt")
        self.receipts.append((stored.invoice_id, amount))

    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None:
        self.fault.tick("audit step")
        key = event.key or f"{event.at.isoformat()}#{len(self.steps)}"
        self.steps.setdefault(key, (invoice_id, event.action, event.actor))

    def now(self) -> datetime:
        return self.now_at


def _use_cases(world: World) -> tuple[ApplyPaymentEvent, DriveOutbox]:
    """What a fresh process builds (nothing survives a kill but the stored world)."""
    drive = DriveOutbox(
        outbox=world.outbox,
        money_audit=world.money_audit,
        invoices=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        receipts=world,
        audit=world,
        merchant=world.merchant,
        clock=world,
    )
    return ApplyPaymentEvent(invoices=world, payments=world, effects=drive, clock=world), drive  # type: ignore[arg-type]


def _stored() -> StoredInvoice:
    doc = invoice(invoice_id="inv1", number="NM-1", customer_id="c1")
    return StoredInvoice(invoice=doc, page_token="tok1", status="open", amount_due=doc.amount_due)


def _deliveries(total: int) -> list[Any]:
    at = T0 + timedelta(days=1)
    common = {"invoice_id": "inv1", "currency": "SEK"}
    return [
        PaymentSucceeded(
            event_id="evt_pay",
            event_type="payment_intent.succeeded",
            occurred_at=at,
            payment_ref="pi_1",
            charge_ref="ch_1",
            amount=total + OVERPAID,
            **common,
        ),
        RefundIssued(
            event_id="evt_refund",
            event_type="charge.refunded",
            occurred_at=at + timedelta(hours=1),
            payment_ref="pi_1",
            charge_ref="ch_1",
            amount_refunded_total=3_000,
            **common,
        ),
        DisputeOpened(
            event_id="evt_dispute",
            event_type="charge.dispute.created",
            occurred_at=at + timedelta(days=2),
            dispute_ref="dp_1",
            charge_ref="ch_1",
            payment_ref="pi_1",
            amount=total,
            currency="SEK",
            reason="fraudulent",
            status="needs_response",
        ),
        DisputeClosed(
            event_id="evt_lost",
            event_type="charge.dispute.closed",
            occurred_at=at + timedelta(days=9),
            dispute_ref="dp_1",
            charge_ref="ch_1",
            payment_ref="pi_1",
            amount=total,
            currency="SEK",
            reason="fraudulent",
            status="lost",
        ),
    ]


def _attempt(world: World, step: Callable[[ApplyPaymentEvent], object]) -> None:
    """One delivery, redelivered until it succeeds; a kill restarts the process (fresh use cases) and,
    as a claim's holder is gone, a redelivery comes after the 15 minutes its claim is held."""
    for _ in range(5):
        settle, _ = _use_cases(world)
        try:
            step(settle)
            return
        except RetryableError:
            continue
        except Killed:
            world.now_at += timedelta(minutes=16)
    raise AssertionError("a delivery kept failing")


def run(world: World) -> None:
    stored = _stored()
    _attempt(world, lambda _settle: world.issue(stored))
    for delivery in _deliveries(stored.amount_due):
        _attempt(world, lambda settle, d=delivery: settle(TENANT, "inv1", d, "stripe"))
    # The stream trigger and the sweep: whatever a failure left (the issued event's effects, or an
    # effect after the last delivery) is finished here.
    for _ in range(5):
        _, drive = _use_cases(world)
        try:
            drive.sweep(world.now_at)
            return
        except (RetryableError, Killed):
            world.now_at += timedelta(minutes=16)
    raise AssertionError("the sweep kept failing")


def outcome(world: World) -> dict[str, Any]:
    stored = world.invoices["inv1"]
    by_stream: dict[str, list[int]] = {}
    for envelope in world.merchant.unique():
        by_stream.setdefault(envelope["stream"], []).append(envelope["sequence"])
    return {
        "invoice": (stored.status, stored.amount_due, stored.amount_paid, stored.state.get("payments")),
        "balances": dict(world.balances),
        "receipts": sorted(world.receipts),
        "pages": sorted(world.pages),
        "money_audit": sorted(world.money_audit.entries.items()),
        "steps": sorted(world.steps.values()),
        "merchant": world.merchant.unique(),
        "merchant_order": by_stream,
        "pending": [e.event_id for e in world.outbox.all() if e.pending],
    }


def test_events_are_numbered_per_invoice_with_stable_ids_and_the_trail_adds_up() -> None:
    world = World()
    run(world)
    events = world.outbox.events(TENANT, invoice_stream("inv1"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.event_type for e in events] == [
        "invoice.issued",
        "invoice.paid",
        "payment.refunded",
        "payment.disputed",
        "payment.reversed",
    ]
    assert len({e.event_id for e in events}) == 5
    assert issued_event(_stored().invoice, T0).event_id == events[0].event_id  # the same id on any retry
    # The 50 kr overpaid is on the customer's balance once, and the merchant heard each event once,
    # in order
    assert world.balances == {"c1": OVERPAID}
    assert [m["sequence"] for m in world.merchant.published] == [1, 2, 3, 4, 5]
    assert world.receipts == [("inv1", world.invoices["inv1"].invoice.total)]
    # The audit trail accounts for every öre of the invoice, and for the balance
    entries = world.money_audit.for_invoice(TENANT, "inv1")
    assert accounted_amount_due(entries) == world.invoices["inv1"].amount_due
    assert sum(e.change for e in entries if e.kind == "balance") == OVERPAID


def test_a_balance_credit_that_failed_once_is_finished_by_the_redelivery() -> None:
    # Given the overpayment whose balance credit fails once (the bug in issue 16)
    world = World()
    stored = _stored()
    world.issue(stored)
    settle, _ = _use_cases(world)
    pay = _deliveries(stored.amount_due)[0]
    original = world.outbox.credit_balance_once
    failures = []

    def fail_once(*args: Any, **kwargs: Any) -> bool:
        if not failures:
            failures.append(1)
            raise RetryableError("DynamoDB throttled the balance credit")
        return original(*args, **kwargs)

    world.outbox.credit_balance_once = fail_once  # type: ignore[method-assign]
    with pytest.raises(RetryableError):
        settle(TENANT, "inv1", pay, "stripe")
    assert world.invoices["inv1"].status == "paid" and world.balances == {}
    # When Stripe delivers the same event again
    applied = settle(TENANT, "inv1", pay, "stripe")
    # Then it changes nothing new, but the customer's 50 kr is credited, once, and the rest is done
    assert applied.outcome is None
    assert world.balances == {"c1": OVERPAID}
    settle(TENANT, "inv1", pay, "stripe")
    assert world.balances == {"c1": OVERPAID}
    assert len(world.receipts) == 1
    # (the stream in order: the issued event its own trigger had not finished yet, then the payment)
    assert [m["type"] for m in world.merchant.published] == ["invoice.issued", "invoice.paid"]


def _check_trial(world: World, expected: dict[str, Any], trace: list[str], label: Any) -> bool:
    """The trial's outcome is the clean run's; returns whether its receipt went out twice, which
    happens only when the process died between sending it and recording that (SES takes no
    idempotency key) and the claim expired."""
    got = outcome(world)
    assert {k: v for k, v in got.items() if k != "receipts"} == {
        k: v for k, v in expected.items() if k != "receipts"
    }, label
    at = world.fault.at
    died_after_send = world.fault.kill and trace[at - 2 : at] == ["send receipt", "outbox"]
    if died_after_send:
        assert got["receipts"] == sorted(expected["receipts"] * 2), label
        return True
    assert got["receipts"] == expected["receipts"], label
    return False


def _clean() -> tuple[dict[str, Any], int, list[str]]:
    clean = World()
    run(clean)
    expected = outcome(clean)
    assert expected["pending"] == []
    return expected, clean.fault.calls, clean.fault.trace


def test_one_fault_at_a_random_point_ends_as_a_run_without_faults() -> None:
    expected, calls, trace = _clean()
    assert calls > 40

    def check(world: World, label: Any) -> bool:
        return _check_trial(world, expected, trace, label)

    # Given one port call (chosen at random) that fails once, or before which the process dies; when
    # the flows run, with redeliveries and the sweep; then the state, the audit entries, the merchant's
    # events (in order per invoice) and the receipts are exactly those of a run without faults, and
    # nothing is left pending
    trials = random_trials(World, run, check, calls=calls, trace=trace, seed=16, trials=TRIALS)
    # The trials reached the effects after the commits, not only the deliveries
    assert len({"merchant", "money audit", "publish page", "audit step", "outbox"} & trials.points) >= 4
    assert 20 <= trials.kills <= 60
    print(
        f"\n{TRIALS} random trials over {calls} port calls: {trials.kills} kills,"
        f" {trials.duplicates} duplicate receipts"
    )


def test_a_fault_at_every_single_point_ends_as_a_run_without_faults() -> None:
    # Every port call of the flows, once failing and once dying before it
    expected, calls, trace = _clean()

    def check(world: World, label: Any) -> bool:
        return _check_trial(world, expected, trace, label)

    duplicates = every_point(World, run, check, calls=calls, trace=trace)
    # the one window SES leaves open: dying after the receipt was sent, before it was recorded
    assert duplicates == 1
    print(f"\n{2 * calls} trials (every point, fail and kill): {duplicates} duplicate receipt")
