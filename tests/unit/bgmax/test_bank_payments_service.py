"""Bank payments over in-memory ports, with the real settlement (ApplyPaymentEvent) on top.

The reconciliation's rules (matching, claims, allocation), its idempotency (the same file, the same
deposit in another file) and a failure injected at every single port call: the import started again
ends with exactly the money state of an import that never failed, and never sends a receipt twice.
The local-stack run is tests/integration/test_bgmax_flow.py.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.domain.bgmax.deductions import note_deductions
from billing.domain.bgmax.matching import allocate, candidates, check_reference, claims_of
from billing.domain.bgmax.writer import bgmax_file, deposit, payment, write_bgmax
from billing.domain.invoice import CREDIT_NOTE
from billing.domain.ocr import ocr_reference
from billing.domain.outbox import OutboxEvent
from billing.domain.payments import InvoicePayments
from billing.services.bank_payments import (
    AssignPayment,
    DeductionResult,
    ImportBgMax,
    ReverseBankPayment,
    UnmatchedPayments,
    bank_settings,
)
from billing.services.bank_payments.booking import Booking
from billing.services.errors import PermanentError, RetryableError
from billing.services.outbox import DriveOutbox
from billing.services.ports import StoredInvoice
from billing.services.settlement import ApplyPaymentEvent
from tests.unit.outbox.fakes import MemoryMerchant, MemoryMoneyAudit, MemoryOutbox
from tests.unit.page.builders import invoice

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 25, 18, tzinfo=STOCKHOLM)
BG = "5050-1055"


def ocr(n: int) -> str:
    return ocr_reference(str(n), True)


# ------------------------------------------------------------------ pure rules


def test_claims_of_each_kind_of_payment() -> None:
    # one OCR reference
    (claim,) = claims_of(payment(100, "18"))
    assert (claim.amount, claim.references, claim.credit) == (100, ("18",), False)
    # free text with several references, and TK22 echoes: the TK22 references win, one shared claim
    (claim,) = claims_of(payment(300, "0034,35", code="3", extra=[("34", 0), ("35", 0)]))
    assert claim.references == ("34", "35")
    (claim,) = claims_of(payment(300, "0034, 35;36", code="3"))
    assert claim.references == ("34", "35", "36")
    # no reference, a paper slip, a wrong reference: unmatched, saying why
    assert claims_of(payment(100, "", code="0"))[0].reason == "no reference given"
    assert claims_of(payment(100, "", code="1"))[0].reason.startswith("no reference")
    assert claims_of(payment(100, "4711", code="5"))[0].reason.startswith("wrong reference")
    # extended form registration: each amount on its reference, TK23 a credit, code 5 unmatched
    claims = claims_of(
        payment(700, "", code="0", extra=[("18", 400), ("26", 200, "2", True), ("34", 500, "5")])
    )
    assert [(c.amount, c.references, c.credit, c.reason is None) for c in claims] == [
        (400, ("18",), False, True),
        (200, ("26",), True, True),
        (500, (), False, False),
    ]
    # references that ask for more than was paid: one unmatched claim for the payment
    (claim,) = claims_of(payment(100, "", code="0", extra=[("18", 400)]))
    assert (claim.amount, claim.references) == (100, ())
    # a rest not named by any reference
    assert claims_of(payment(500, "", code="0", extra=[("18", 400)]))[-1].amount == 100
    # a deduction
    (claim,) = claims_of(payment(200, "26", deduction=True))
    assert (claim.amount, claim.credit) == (200, True)


def test_check_reference_applies_our_rules() -> None:
    assert check_reference(ocr(123), length_digit=True) is None
    assert check_reference("1234567", length_digit=False) == "wrong check digit"
    good_without_length = ocr_reference("123", False)
    assert check_reference(good_without_length, length_digit=True) == "wrong length digit"
    assert check_reference("12a", length_digit=False) is not None
    assert check_reference("1", length_digit=False) is not None
    assert candidates(" 007,8 x9 ") == ["7", "8"]


def test_check_digit_agrees_with_python_stdnum() -> None:
    from stdnum import luhn

    rng = random.Random(14)
    for _ in range(2000):
        reference = str(rng.randrange(10, 10 ** rng.randint(2, 20)))
        ours = check_reference(reference, length_digit=False) is None
        assert ours == luhn.is_valid(reference), reference


def test_allocate_exact_sum_first_then_oldest_first() -> None:
    # exact: the payer meant the first and the third
    assert allocate(400, [("a", 100), ("b", 200), ("c", 300)]) == ([("a", 100), ("c", 300)], 0)
    # no exact subset: oldest first, the last one partly
    assert allocate(250, [("a", 100), ("b", 200)]) == ([("a", 100), ("b", 150)], 0)
    # more than everything named: the rest is left over
    assert allocate(350, [("a", 100), ("b", 200)]) == ([("a", 100), ("b", 200)], 50)
    assert allocate(0, [("a", 100)]) == ([], 0)
    assert allocate(100, [("a", 0)]) == ([], 100)


def test_bank_settings_from_the_tenant() -> None:
    tenant = SimpleNamespace(page={}, settings=SimpleNamespace(bankgiro="5050-1055", ocr_length_digit=True))
    assert bank_settings(tenant) is not None and bank_settings(tenant).bankgiro == "50501055"  # type: ignore[union-attr]
    none = SimpleNamespace(page={}, settings=SimpleNamespace(bankgiro=None, ocr_length_digit=False))
    assert bank_settings(none) is None
    with pytest.raises(PermanentError) as caught:
        bank_settings(SimpleNamespace(page={"bgmax": {"bankgiro": "12"}}, settings=tenant.settings))
    assert caught.value.field == "page.bgmax.bankgiro"
    with pytest.raises(PermanentError):
        bank_settings(SimpleNamespace(page={"bgmax": {"test_files": "yes"}}, settings=tenant.settings))


# ------------------------------------------------------------------ in-memory ports


class Fault:
    """Raises RetryableError at the `fail_at`-th port call (0: never): the import's, the settlement's,
    and the effects after its commit (the outbox's: audit, balance credit, page, receipt)."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_at = 0
        self.paused = False

    def tick(self) -> None:
        if self.paused:
            return
        self.calls += 1
        if self.calls == self.fail_at:
            raise RetryableError(f"injected failure at call {self.calls}")


@dataclass
class World:
    fault: Fault = field(default_factory=Fault)
    invoices: dict[str, StoredInvoice] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipts: list[tuple[str, int]] = field(default_factory=list)
    audit: list[tuple[str, str, str]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    outbox: MemoryOutbox = field(init=False)
    money_audit: MemoryMoneyAudit = field(init=False)
    merchant: MemoryMerchant = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = MemoryOutbox(self.fault.tick, self.balances)
        self.money_audit = MemoryMoneyAudit(self.fault.tick)
        self.merchant = MemoryMerchant(self.fault.tick)

    # InvoiceLedger + OcrIndex
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        self.fault.tick()
        return self.invoices.get(invoice_id)

    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        return [s for s in self.invoices.values() if s.invoice.customer_id == customer_id]

    def find(self, tenant_id: str, reference: str) -> StoredInvoice | None:
        self.fault.tick()
        return next((s for s in self.invoices.values() if s.invoice.ocr == reference), None)

    # PaymentStore
    def save_payments(
        self,
        stored: StoredInvoice,
        payments: InvoicePayments,
        *,
        paid_at: Any,
        disputed: bool,
        events: Sequence[OutboxEvent] = (),
    ) -> bool:
        self.fault.tick()
        current = self.invoices[stored.invoice_id]
        if current.state.get("payments") != stored.state.get("payments"):
            return False
        # one transaction: the invoice and its outbox events
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

    # pages, receipts, audit, clock
    def load(self, stored: StoredInvoice) -> tuple[Any, Any]:
        return SimpleNamespace(page={}), SimpleNamespace(
            customer=SimpleNamespace(id=stored.invoice.customer_id)
        )

    def publish(self, stored: StoredInvoice, tenant: Any = None, account: Any = None) -> None:
        self.fault.tick()

    def send_receipt(self, stored: StoredInvoice, tenant: Any, account: Any, amount: int) -> None:
        self.fault.tick()
        self.receipts.append((stored.invoice_id, amount))

    def append(self, tenant_id: str, invoice_id: str, event: Any) -> None:
        self.fault.tick()
        self.audit.append((invoice_id, event.action, event.actor))

    def now(self) -> datetime:
        return NOW

    def read(self, key: str) -> bytes:
        self.fault.tick()
        return self.files[key]


@dataclass
class Ledger:
    """BankLedger in memory, with the adapter's conditional semantics."""

    world: World

    def _tick(self) -> None:
        self.world.fault.tick()

    def _create(self, key: str, data: dict[str, Any]) -> dict[str, Any]:
        self._tick()
        self.world.items.setdefault(key, copy.deepcopy(data))
        return {**copy.deepcopy(self.world.items[key]), "item_key": key}

    def file_done(self, tenant_id: str, digest: str) -> dict[str, Any] | None:
        self._tick()
        return self.world.items.get(f"file#{digest}")

    def mark_file(self, tenant_id: str, digest: str, details: dict[str, Any], now: datetime) -> None:
        self._tick()
        self.world.items[f"file#{digest}"] = {**details, "status": "imported"}

    def deposit(self, tenant_id: str, key: str) -> dict[str, Any] | None:
        self._tick()
        return self.world.items.get(f"deposit#{key}")

    def open_deposit(self, tenant_id: str, key: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
        return self._create(f"deposit#{key}", {**data, "status": "importing"})

    def close_deposit(self, tenant_id: str, key: str, summary: dict[str, Any], now: datetime) -> None:
        self._tick()
        self.world.items[f"deposit#{key}"].update(status="booked", booked=summary)

    def deposits(self, tenant_id: str) -> list[dict[str, Any]]:
        return [v for k, v in sorted(self.world.items.items()) if k.startswith("deposit#")]

    def payment(self, tenant_id: str, payment_id: str) -> dict[str, Any] | None:
        self._tick()
        found = self.world.items.get(f"payment#{payment_id}")
        return None if found is None else {**copy.deepcopy(found), "item_key": f"payment#{payment_id}"}

    def create_payment(
        self, tenant_id: str, payment_id: str, data: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        return self._create(f"payment#{payment_id}", data)

    def update_payment(self, tenant_id: str, payment_id: str, change: Any, now: datetime) -> dict[str, Any]:
        self._tick()
        key = f"payment#{payment_id}"
        self.world.items[key] = change(copy.deepcopy(self.world.items[key]))
        return {**copy.deepcopy(self.world.items[key]), "item_key": key}

    def unmatched(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            {**v, "item_key": k}
            for k, v in sorted(self.world.items.items())
            if k.startswith("payment#") and v.get("unmatched_amount")
        ]

    def deduct(
        self, note: StoredInvoice, ref: str, amount: int, remaining: int, now: datetime
    ) -> DeductionResult:
        self._tick()
        current = self.world.invoices[note.invoice_id]
        deductions = note_deductions(current.state)
        if ref in deductions.deducted:
            return DeductionResult.ALREADY
        customer = current.invoice.customer_id
        if amount > remaining - deductions.total or self.world.balances.get(customer, 0) < amount:
            return DeductionResult.NOT_ENOUGH_CREDIT
        bank = deductions.with_deduction(ref, amount, now).to_record()  # the shape the adapter stores
        self.world.invoices[note.invoice_id] = replace(current, state={**current.state, "bank": bank})
        self.world.balances[customer] -= amount
        return DeductionResult.APPLIED


TENANT = SimpleNamespace(page={}, settings=SimpleNamespace(bankgiro=BG, ocr_length_digit=True))


def _stored(n: int, customer: str, due: date = date(2026, 11, 30), **overrides: Any) -> StoredInvoice:
    doc = invoice(
        invoice_id=f"inv{n}", number=f"NM-{n}", ocr=ocr(n), customer_id=customer, due_date=due, **overrides
    )
    return StoredInvoice(
        invoice=doc,
        page_token=f"tok{n}",
        status="open" if doc.amount_due > 0 else "paid",
        amount_due=doc.amount_due,
    )


def _world() -> World:
    world = World()
    for n, customer in ((1, "c1"), (2, "c2"), (3, "c3"), (4, "c4"), (5, "c4"), (6, "c6")):
        due = date(2026, 11, 30) if n != 4 else date(2026, 10, 31)
        world.invoices[f"inv{n}"] = _stored(n, customer, due)
    note_doc = replace(
        invoice(invoice_id="note7", number="NM-7", ocr=ocr(7), customer_id="c6"),
        kind=CREDIT_NOTE,
        total=-5000,
        amount_due=-5000,
        credited_invoice_id="inv6",
    )
    world.invoices["note7"] = StoredInvoice(
        invoice=note_doc, page_token="tok7", status="paid", amount_due=-5000
    )
    world.balances["c6"] = 5000
    return world


def _use_cases(world: World) -> tuple[ImportBgMax, AssignPayment]:
    effects = DriveOutbox(
        outbox=world.outbox,
        money_audit=world.money_audit,
        invoices=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        receipts=world,
        audit=world,  # type: ignore[arg-type]
        merchant=world.merchant,
        clock=world,
    )
    settle = ApplyPaymentEvent(invoices=world, payments=world, effects=effects, clock=world)  # type: ignore[arg-type]
    ledger = Ledger(world)
    booking = Booking(
        invoices=world,
        ocr=world,
        ledger=ledger,
        settle=settle,
        audit=world,
        clock=world,  # type: ignore[arg-type]
    )
    return (
        ImportBgMax(tenants=lambda _: TENANT, booking=booking, files=world),  # type: ignore[arg-type]
        AssignPayment(tenants=lambda _: TENANT, booking=booking),
    )


def _file(world: World) -> bytes:
    inv = world.invoices
    total = inv["inv1"].amount_due
    payments = [
        payment(total, ocr(1)),  # exact
        payment(total // 2, ocr(2)),  # partial
        payment(total + 700, ocr(3)),  # over
        payment(2 * total, f"{ocr(4)} {ocr(5)}", code="3"),  # two invoices, one amount
        payment(total, ocr(6)),  # pays its invoice...
        payment(5000, ocr(7), deduction=True),  # ...and deducts the credit note
        payment(990, "1234567", code="3"),  # a mistyped OCR
        payment(400, ocr(99)),  # a valid OCR nobody has
    ]
    d = deposit(BG, payments, on=date(2026, 11, 25), serial=3)
    return write_bgmax(bgmax_file([d], written_at=NOW))


def _money(world: World) -> dict[str, Any]:
    return {
        "invoices": {k: (s.status, s.amount_paid, s.amount_due) for k, s in sorted(world.invoices.items())},
        "balances": dict(sorted(world.balances.items())),
        "unmatched": [(u["payment"], u["amount"]) for u in UnmatchedPayments(ledger=Ledger(world))("t1")],
        "deducted": (world.invoices["note7"].state.get("bank") or {}).get("deducted"),
    }


def test_a_file_books_every_kind_of_payment() -> None:
    world = _world()
    total = world.invoices["inv1"].amount_due
    importer, _ = _use_cases(world)
    world.files["bgmax/inbox/t1/f1"] = _file(world)
    result = importer("bgmax/inbox/t1/f1")
    assert (result.deposits, result.payments, result.unmatched, result.unmatched_amount) == (1, 8, 2, 1390)
    money = _money(world)
    assert money["invoices"]["inv1"] == ("paid", total, 0)
    assert money["invoices"]["inv2"] == ("open", total // 2, total - total // 2)
    assert money["invoices"]["inv3"] == ("paid", total, 0)
    assert money["invoices"]["inv4"][0] == money["invoices"]["inv5"][0] == "paid"
    assert money["invoices"]["inv6"] == ("paid", total, 0)
    assert money["balances"] == {"c3": 700, "c6": 0}
    assert money["deducted"] == {"bgmax:50501055-20261125-00003-006:1": 5000}
    assert money["unmatched"] == [("50501055-20261125-00003-007", 990), ("50501055-20261125-00003-008", 400)]
    reasons = UnmatchedPayments(ledger=Ledger(world))("t1")
    assert reasons[0]["reasons"] == ["1234567: wrong check digit"]
    assert reasons[1]["reasons"] == [f"{ocr(99)}: no invoice has this OCR number"]
    assert sorted(world.receipts) == sorted(
        [
            ("inv1", total),
            ("inv2", total // 2),
            ("inv3", total),
            ("inv4", total),
            ("inv5", total),
            ("inv6", total),
        ]
    )
    # The same file again, or under another name: nothing changes
    receipts = len(world.receipts)
    assert importer("bgmax/inbox/t1/f1").already_imported
    world.files["bgmax/inbox/t1/f2"] = world.files["bgmax/inbox/t1/f1"] + b"\r\n"
    again = importer("bgmax/inbox/t1/f2")
    assert (again.deposits_already_booked, again.deposits) == (1, 0)
    assert _money(world) == money and len(world.receipts) == receipts


def test_a_failure_at_any_step_then_a_retry_ends_exactly_as_without_failure() -> None:
    # Every port call of the import and of the settlement up to its commit can fail once.
    # Given the outcome of an import that never failed, and how many port calls it made
    clean = _world()
    importer, _ = _use_cases(clean)
    clean.files["bgmax/inbox/t1/f1"] = _file(clean)
    importer("bgmax/inbox/t1/f1")
    expected = _money(clean)
    calls = clean.fault.calls
    assert calls > 50
    for fail_at in range(1, calls + 1):
        # When the k-th port call fails once and the import is started again
        world = _world()
        world.files["bgmax/inbox/t1/f1"] = _file(world)
        importer, _ = _use_cases(world)
        world.fault.fail_at = fail_at
        try:
            importer("bgmax/inbox/t1/f1")
        except RetryableError:
            pass
        world.fault.fail_at = 0
        importer("bgmax/inbox/t1/f1")
        # Then the money is exactly where it is without a failure, every effect is done once: the
        # receipts, the audit entries and the merchant's events are those of the run without one
        assert _money(world) == expected, fail_at
        assert sorted(world.receipts) == sorted(clean.receipts), fail_at
        assert world.money_audit.entries == clean.money_audit.entries, fail_at
        assert world.merchant.unique() == clean.merchant.unique(), fail_at
        assert not any(e.pending for e in world.outbox.all()), fail_at


def test_assign_by_hand_then_reverse() -> None:
    world = _world()
    importer, assign = _use_cases(world)
    total = world.invoices["inv1"].amount_due
    world.files["bgmax/inbox/t1/f1"] = _file(world)
    importer("bgmax/inbox/t1/f1")
    # an unknown payment cannot be assigned; nor to an unknown invoice
    with pytest.raises(PermanentError) as caught:
        assign("t1", "nope", "inv2")
    assert caught.value.field == "payment"
    with pytest.raises(PermanentError) as caught:
        assign("t1", "50501055-20261125-00003-007", "inv404")
    assert caught.value.field == "invoice"
    # a payment part is not booked on a credit note
    with pytest.raises(PermanentError):
        assign("t1", "50501055-20261125-00003-007", "note7")
    # by number: the partial invoice gets the 9,90 kr
    record = assign("t1", "50501055-20261125-00003-007", "NM-2", actor_id="anna")
    assert record["status"] == "assigned"
    assert world.invoices["inv2"].amount_paid == total // 2 + 990
    assert ("inv2", "bank_payment_assigned", "operator") in world.audit
    assert [u["payment"] for u in UnmatchedPayments(ledger=Ledger(world))("t1")] == [
        "50501055-20261125-00003-008"
    ]
    # a retry of the same assignment books nothing twice; another invoice is refused
    assign("t1", "50501055-20261125-00003-007", "inv2")
    assert world.invoices["inv2"].amount_paid == total // 2 + 990
    with pytest.raises(PermanentError):
        assign("t1", "50501055-20261125-00003-007", "inv1")
    # reversing the exact payment reopens its invoice, once
    reverse = ReverseBankPayment(
        ledger=Ledger(world), settle=_use_cases(world)[0].booking.settle, audit=world, clock=world
    )  # type: ignore[arg-type]
    with pytest.raises(PermanentError):
        reverse("t1", "50501055-20261125-00003-001", " ")
    assert reverse("t1", "50501055-20261125-00003-001", "returned by Bankgirot")["status"] == "reversed"
    assert (world.invoices["inv1"].status, world.invoices["inv1"].amount_due) == ("open", total)
    reverse("t1", "50501055-20261125-00003-001", "again")
    assert world.invoices["inv1"].amount_due == total
    assert [a for a in world.audit if a[1] == "bank_payment_reversed"] == [
        ("inv1", "bank_payment_reversed", "operator")
    ]


def test_files_that_cannot_be_booked_are_refused_before_anything_changes() -> None:
    world = _world()
    importer, _ = _use_cases(world)
    good = deposit(BG, [payment(100, ocr(1))], on=date(2026, 11, 25), serial=3)
    cases = {
        "other-bankgiro": (
            write_bgmax(
                bgmax_file(
                    [deposit("991-2346", good.payments, on=date(2026, 11, 25), serial=3)], written_at=NOW
                )
            ),
            "payee bankgiro number (3-12)",
        ),
        "test-file": (write_bgmax(bgmax_file([good], written_at=NOW, test=True)), "test marker (45)"),
        "damaged": (
            write_bgmax(bgmax_file([good], written_at=NOW)).replace(b"SEK", b"EUR", 1),
            "currency (23-25)",
        ),
    }
    for name, (body, field_name) in cases.items():
        world.files[f"bgmax/inbox/t1/{name}"] = body
        with pytest.raises(PermanentError) as caught:
            importer(f"bgmax/inbox/t1/{name}")
        assert caught.value.field == field_name, name
    assert world.items == {} and world.receipts == []
    with pytest.raises(PermanentError) as caught:
        importer("bgmax/other/t1/x")
    assert caught.value.field == "key"
    # a deposit booked once and sent again with other contents is refused whole
    world.files["bgmax/inbox/t1/a"] = write_bgmax(bgmax_file([good], written_at=NOW))
    importer("bgmax/inbox/t1/a")
    changed = deposit(BG, [payment(200, ocr(1))], on=date(2026, 11, 25), serial=3)
    world.files["bgmax/inbox/t1/b"] = write_bgmax(bgmax_file([changed], written_at=NOW))
    with pytest.raises(PermanentError) as caught:
        importer("bgmax/inbox/t1/b")
    assert caught.value.code == "deposit_conflict"
    assert world.invoices["inv1"].amount_paid == 100


def test_a_deduction_whose_credit_was_used_already_goes_to_the_list() -> None:
    world = _world()
    world.balances["c6"] = 0  # the credit note's credit went into an invoice already
    importer, _ = _use_cases(world)
    d = deposit(
        BG, [payment(9000, ocr(6)), payment(5000, ocr(7), deduction=True)], on=date(2026, 11, 25), serial=9
    )
    world.files["bgmax/inbox/t1/f"] = write_bgmax(bgmax_file([d], written_at=NOW))
    result = importer("bgmax/inbox/t1/f")
    assert result.unmatched == 1
    (listed,) = UnmatchedPayments(ledger=Ledger(world))("t1")
    assert listed["amount"] == -5000 and listed["reasons"] == ["the credit note's credit is used up already"]
    # A deduction naming the invoice (not the note) finds the invoice's credit note
    world2 = _world()
    importer2, _ = _use_cases(world2)
    d2 = deposit(
        BG, [payment(9000, ocr(6)), payment(5000, ocr(6), deduction=True)], on=date(2026, 11, 25), serial=9
    )
    world2.files["bgmax/inbox/t1/f"] = write_bgmax(bgmax_file([d2], written_at=NOW))
    assert importer2("bgmax/inbox/t1/f").unmatched == 0
    assert world2.balances["c6"] == 0 and world2.invoices["note7"].state["bank"]["deducted"]


def test_a_payment_to_a_split_invoice_pays_its_instalments_in_order() -> None:
    world = _world()
    parent = world.invoices["inv1"]
    parts = []
    for i, due in ((1, date(2026, 12, 1)), (2, date(2027, 1, 1))):
        child = _stored(10 + i, "c1", due)
        child = replace(child, amount_due=5000, invoice=replace(child.invoice, amount_due=5000, total=5000))
        world.invoices[child.invoice_id] = child
        parts.append({"invoice_id": child.invoice_id})
    world.invoices["inv1"] = replace(
        parent, status="split", state={"dunning": {"split": {"instalments": parts}}}
    )
    importer, _ = _use_cases(world)
    d = deposit(BG, [payment(7000, ocr(1))], on=date(2026, 11, 25), serial=9)
    world.files["bgmax/inbox/t1/f"] = write_bgmax(bgmax_file([d], written_at=NOW))
    importer("bgmax/inbox/t1/f")
    assert (world.invoices["inv11"].status, world.invoices["inv12"].amount_paid) == ("paid", 2000)
