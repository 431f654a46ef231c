"""The six events that report a change besides an invoice's money (billing.domain.merchant_events):
question.asked, question.answered, mandate.approved, mandate.cancelled, subscription.changed and
usage.rejected. Each use case hands its event to the write that makes the change (in-memory stand-ins
that, like the DynamoDB adapters, write the event only with the change), so a retried request or a
redelivered provider event writes it once; every payload is one the catalog's model accepts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from billing.domain.catalog import Anchor, PlanPhase, Subscription
from billing.domain.merchant_events import EventDraft, card_mandate_draft, customer_stream, on_invoice
from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.domain.payments import MandateActivated, MandateDetached, MandateStatus, apply_mandate_event
from billing.domain.scenario import parse_catalog, parse_tenant_settings
from billing.domain.usage import UsageRecord
from billing.services.dunning.answer_question import AnswerQuestion
from billing.services.dunning.ports import QuestionAnswer
from billing.services.errors import PermanentError, RetryableError
from billing.services.ingest_usage import IngestUsage
from billing.services.invoice_pages import PageActions
from billing.services.outbox import DriveOutbox
from billing.services.outbox.catalog import BY_NAME, Envelope
from billing.services.ports import CustomerAccount, StoredInvoice, TenantAccount
from billing.services.subscriptions.cancel import CancelSubscription
from billing.services.subscriptions.change_plan import ChangePlan
from billing.services.subscriptions.documents import SubscriptionConflict, to_document
from billing.services.subscriptions.fields import Cancellation, PlanChange, SubscriptionStart
from billing.services.subscriptions.start import StartSubscription
from infra import demo_data
from tests.fakes.subscriptions import FakeSubscriptionRecords
from tests.fakes.tenants import a_tenant_account
from tests.unit.api.test_page_plan_switch import CUSTOMER
from tests.unit.outbox.fakes import MemoryCustomerStreams, MemoryMerchant, MemoryMoneyAudit, MemoryOutbox
from tests.unit.outbox.fault_trials import Fault, Killed, every_point
from tests.unit.payments.test_payment_method_confirmation import _stored

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)
TENANT = "t1"


def _valid(event: OutboxEvent) -> dict[str, Any]:
    """The payload, after the catalog's model and the envelope's accepted it."""
    BY_NAME[event.event_type].payload.model_validate(event.payload)
    Envelope.model_validate(event.envelope())
    return event.payload


def _clock() -> Any:
    return SimpleNamespace(now=lambda: NOW)


# questions: on the invoice's stream ----------------------------------------------------------------


@dataclass
class InvoiceWorld:
    """The invoice ledger and dunning store as the questions' adapter behaves: a question is stored
    once (by id) with its event; an answer writes its event unless the same words are stored."""

    stored: StoredInvoice = field(default_factory=_stored)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: int = 0
    # every port call ticks it (the fault trials make one fail once, or the process die before it)
    fault: Fault = field(default_factory=Fault)

    # InvoiceLedger
    def by_page_token(self, token: str) -> StoredInvoice | None:
        self.fault.tick("read invoice")
        return self.stored if token == self.stored.page_token else None

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        self.fault.tick("read invoice")
        return self.stored if invoice_id == self.stored.invoice_id else None

    def _number(self, draft: EventDraft) -> None:
        seq = self.stored.event_seq + 1
        assert self.outbox.add(on_invoice(draft, TENANT, self.stored.invoice_id, seq))
        self.stored = replace(self.stored, event_seq=seq)

    def add_question(
        self, tenant_id: str, invoice_id: str, question: dict[str, Any], limits: Any, asked: EventDraft | None
    ) -> bool:
        self.fault.tick("store question")  # the question and its event: one transaction
        if question["question_id"] in self.questions:
            return False
        self.questions[question["question_id"]] = dict(question)
        if asked is not None:
            self._number(asked)
        self.stored = replace(
            self.stored, question_open=True, questions=tuple(dict(q) for q in self.questions.values())
        )
        return True

    def claim_support_notice(self, tenant_id: str, invoice_id: str) -> bool:
        return False

    # DunningStore
    def answer_question(self, request: QuestionAnswer) -> StoredInvoice:
        question_id, answer, answered = request.question_id, request.answer, request.answered
        self.fault.tick("store answer")  # the answer and its event: one transaction
        question = self.questions.get(question_id)
        if question is None:
            raise PermanentError(f"no question {question_id} on this invoice", field="question")
        repeated = question.get("answer") == answer
        question.update(answer=answer, answered_at=request.at.isoformat())
        still_open = any(not q.get("answered_at") for q in self.questions.values())
        if answered is not None and not repeated:
            self._number(answered(not still_open))
        self.stored = replace(
            self.stored, question_open=still_open, questions=tuple(dict(q) for q in self.questions.values())
        )
        return self.stored

    # InvoicePages, AuditTrail, Mailer, DunningMail
    def load(self, stored: StoredInvoice) -> Any:
        tenant = a_tenant_account()
        return tenant, SimpleNamespace(email="saga@example.se")

    def publish(self, *args: Any) -> None:
        self.fault.tick("publish page")
        self.published += 1

    def append(self, *args: Any) -> None:
        self.fault.tick("audit step")

    def send(self, **kwargs: Any) -> str:
        self.fault.tick("email")
        return "m-1"

    def notice(self, *args: Any) -> Any:
        return SimpleNamespace(subject="s", text="t", html="h")

    def events(self) -> list[OutboxEvent]:
        return self.outbox.events(TENANT, invoice_stream(self.stored.invoice_id))


def _ask(world: InvoiceWorld) -> PageActions:
    return PageActions(pages=world, invoices=world, audit=world, mailer=world, clock=_clock())  # type: ignore[arg-type]


def _answer(world: InvoiceWorld) -> AnswerQuestion:
    return AnswerQuestion(
        invoices=world,  # type: ignore[arg-type]
        store=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        mail=world,  # type: ignore[arg-type]
        mailer=world,  # type: ignore[arg-type]
        audit=world,  # type: ignore[arg-type]
        clock=_clock(),
    )


def test_a_question_is_reported_once_however_often_it_is_posted() -> None:
    # Given an open invoice
    world = InvoiceWorld()
    # When the customer asks, and the form is posted again (a double click)
    asked = _ask(world).ask(world.stored.page_token, "Varför två SMS-rader?", None)
    again = _ask(world).ask(world.stored.page_token, "Varför två SMS-rader?", None)
    # Then one question.asked is on the invoice's stream, after its last event, with the words to answer
    assert asked.new and not again.new
    (event,) = world.events()
    assert (event.event_type, event.stream, event.seq) == ("question.asked", "invoice#inv_1", 1)
    payload = _valid(event)
    assert (payload["question_id"], payload["text"], payload["customer_id"]) == (
        asked.question_id,
        "Varför två SMS-rader?",
        "c1",
    )


def test_an_answer_is_reported_once_and_says_when_every_question_is_answered() -> None:
    # Given two questions on the invoice
    world = InvoiceWorld()
    first = _ask(world).ask(world.stored.page_token, "Varför två SMS-rader?", None).question_id
    second = _ask(world).ask(world.stored.page_token, "Och roaming?", None).question_id
    # When the merchant answers the first, the same request is retried, then the second is answered
    _answer(world)(TENANT, "inv_1", first, "Två abonnemang.", "ops@norrsken")
    _answer(world)(TENANT, "inv_1", first, "Två abonnemang.", "ops@norrsken")
    _answer(world)(TENANT, "inv_1", second, "Ingen roaming.", "ops@norrsken")
    # Then two question.answered follow the two questions, in order; only the last closes the round
    answered = [e for e in world.events() if e.event_type == "question.answered"]
    assert [e.seq for e in world.events()] == [1, 2, 3, 4]
    assert [(e.payload["question_id"], _valid(e)["all_answered"]) for e in answered] == [
        (first, False),
        (second, True),
    ]
    # And a corrected answer (other words) is a change the merchant hears of
    _answer(world)(TENANT, "inv_1", first, "Två abonnemang, ett per SIM.", "ops@norrsken")
    assert [e.event_type for e in world.events()][-1] == "question.answered"


def _question_world() -> InvoiceWorld:
    world = InvoiceWorld()
    world.outbox = MemoryOutbox(lambda: world.fault.tick("outbox"))
    world.merchant = MemoryMerchant(lambda: world.fault.tick("merchant"))  # type: ignore[attr-defined]
    return world


def _again(attempt: Callable[[], object]) -> None:
    """The customer's browser or the merchant's client: a failed request, or one whose process died
    (Lambda starts a new one), is sent again."""
    for _ in range(3):
        try:
            attempt()
            return
        except (RetryableError, Killed):
            continue
    raise AssertionError("three attempts in a row failed: a trial injects one fault")


def _question_flow(world: InvoiceWorld) -> None:
    """Ask, answer, and the outbox's drivers (its stream, then the sweep) after each."""
    drive = DriveOutbox(
        outbox=world.outbox, money_audit=MemoryMoneyAudit(), invoices=world, pages=world,  # type: ignore[arg-type]
        receipts=None, audit=world, merchant=world.merchant, clock=_clock(),  # type: ignore[attr-defined]
    )  # fmt: skip
    stream = invoice_stream(world.stored.invoice_id)
    _again(lambda: _ask(world).ask(world.stored.page_token, "Varför två SMS-rader?", None))
    _again(lambda: drive.stream(TENANT, stream))
    question_id = next(iter(world.questions))
    _again(lambda: _answer(world)(TENANT, "inv_1", question_id, "Två abonnemang.", "ops@norrsken"))
    _again(lambda: drive.stream(TENANT, stream))
    _again(lambda: drive.sweep(NOW))


def _question_trial_ok(world: InvoiceWorld, label: Any) -> bool:
    """Exactly the clean run's events, finished, heard once each after de-duplication by id."""
    events = world.events()
    assert [(e.seq, e.event_type, e.pending) for e in events] == [
        (1, "question.asked", ()),
        (2, "question.answered", ()),
    ], label
    heard = world.merchant.unique()  # type: ignore[attr-defined]
    assert [(h["id"], h["type"]) for h in heard] == [(e.event_id, e.event_type) for e in events], label
    return len(world.merchant.published) > len(heard)  # type: ignore[attr-defined]


def test_a_fault_at_every_point_of_a_question_and_its_answer_ends_as_without_faults() -> None:
    # Given the flow's port calls, counted in a run without faults
    clean = _question_world()
    _question_flow(clean)
    _question_trial_ok(clean, "clean")
    calls, trace = clean.fault.calls, list(clean.fault.trace)
    assert {"store question", "store answer", "outbox", "merchant"} <= set(trace)
    # When each of them in turn fails once, or the process dies before it, and the request is sent again
    duplicates = every_point(_question_world, _question_flow, _question_trial_ok, calls=calls, trace=trace)
    # Then every trial ends with the question and its answer written once and heard once; a delivery
    # is repeated only when the process died between it and its done-mark (a failed mark is retried
    # in place), and it has the same id: the merchant drops it
    marks_after_delivery = sum(
        1 for at in range(2, calls + 1) if (trace[at - 2], trace[at - 1]) == ("merchant", "outbox")
    )
    assert marks_after_delivery == 2 and duplicates == marks_after_delivery


# subscriptions: on the customer's stream -----------------------------------------------------------


def _tenant() -> TenantAccount:
    return TenantAccount(
        settings=parse_tenant_settings(demo_data.tenant_settings(TENANT)),
        catalog=parse_catalog(demo_data.CATALOG),
        page={"name": "Norrsken Mobil"},
    )


def _subscription_events(world: FakeSubscriptionRecords) -> list[OutboxEvent]:
    """The customer's subscription.changed events, numbered in the order the writes committed them."""
    streams = MemoryCustomerStreams()
    for tenant_id, customer_id, draft in world.events:
        streams.commit(tenant_id, customer_id, draft)
    return streams.events(TENANT, "c1", "subscription.changed")


def _world() -> FakeSubscriptionRecords:
    world = FakeSubscriptionRecords()
    world.add_customer(TENANT, CUSTOMER, "saga@example.se")
    return world


def _on_bas(world: FakeSubscriptionRecords, since: date = date(2026, 1, 1)) -> None:
    subscription = Subscription("sub_c1", "c1", Anchor.CALENDAR, (PlanPhase("bas", since),))
    assert world.start(TENANT, "c1", to_document(subscription), date(2027, 1, 1), [])


def _tenants() -> Any:
    return SimpleNamespace(get=lambda tenant_id: _tenant())


def _change(world: FakeSubscriptionRecords) -> ChangePlan:
    delivery = SimpleNamespace(deliver=lambda stored, tenant, account: True)
    tokens = SimpleNamespace(page_token=lambda: "tok")
    return ChangePlan(records=world, tenants=_tenants(), delivery=delivery, tokens=tokens, clock=_clock())  # type: ignore[arg-type]


def test_a_started_subscription_is_reported_once() -> None:
    world = _world()
    start = StartSubscription(records=world, tenants=_tenants(), clock=_clock())  # type: ignore[arg-type]
    start(TENANT, "c1", SubscriptionStart(plan="bas"))
    with pytest.raises(SubscriptionConflict):  # the same request again: it has one already
        start(TENANT, "c1", SubscriptionStart(plan="bas"))
    (event,) = _subscription_events(world)
    payload = _valid(event)
    assert (event.stream, event.seq) == (customer_stream("c1"), 1)
    assert (payload["change"], payload["plan"], payload["previous_plan"], payload["version"]) == (
        "started",
        "bas",
        None,
        1,
    )


def test_an_upgrade_now_is_reported_with_its_invoice_and_a_downgrade_as_scheduled() -> None:
    # Given a customer on bas
    world = _world()
    _on_bas(world)
    # When the merchant upgrades to max (invoiced today), and the request is retried
    _change(world)(TENANT, "c1", PlanChange(plan="max"))
    _change(world)(TENANT, "c1", PlanChange(plan="max"))
    # Then one subscription.changed says so, naming the plan-change invoice
    (upgrade,) = _subscription_events(world)
    payload = _valid(upgrade)
    assert (payload["change"], payload["plan"], payload["previous_plan"]) == ("plan_changed", "max", "bas")
    assert payload["effective_date"] == "2026-12-04" and (TENANT, payload["invoice_id"]) in world.invoices
    # When it goes back down to bas (from the next period), losing one race to a concurrent change
    world.moved_once = True
    with pytest.raises(SubscriptionConflict):
        _change(world)(TENANT, "c1", PlanChange(plan="bas"))
    _change(world)(TENANT, "c1", PlanChange(plan="bas"))
    # Then the lost race wrote nothing; the change is reported once, as scheduled, after the upgrade
    events = _subscription_events(world)
    assert [e.seq for e in events] == [1, 2]
    payload = _valid(events[1])
    assert (payload["change"], payload["plan"], payload["invoice_id"]) == (
        "plan_change_scheduled",
        "bas",
        None,
    )
    assert (
        payload["effective_date"] == "2027-01-01"
        and payload["version"] == world.records[(TENANT, "c1")].version
    )


def test_a_cancellation_is_reported_once_with_its_end() -> None:
    world = _world()
    _on_bas(world)
    cancel = CancelSubscription(records=world, tenants=_tenants(), clock=_clock())  # type: ignore[arg-type]
    cancel(TENANT, "c1", Cancellation(at="period_end"))
    (event,) = _subscription_events(world)
    payload = _valid(event)
    assert (payload["change"], payload["end_date"], payload["effective_date"]) == (
        "cancelled",
        "2027-01-01",
        "2027-01-01",
    )
    assert payload["plan"] is None and payload["previous_plan"] == "bas"


# card mandates: what each Stripe event (and its redelivery) reports --------------------------------


def _activated(setup: str, method: str, t: int) -> MandateActivated:
    return MandateActivated(
        event_id=f"evt_{setup}", event_type="setup_intent.succeeded", occurred_at=NOW + timedelta(seconds=t),
        invoice_id="inv_1", customer_id="c1", customer_ref="cus_1", payment_method_ref=method,
        mandate_ref=None, setup_ref=setup,
    )  # fmt: skip


def test_each_card_mandate_change_is_reported_once_and_a_redelivery_reports_nothing() -> None:
    streams = MemoryCustomerStreams()
    mandate = None
    detached = MandateDetached(
        event_id="evt_d", event_type="payment_method.detached", occurred_at=NOW, payment_method_ref="pm_2",
        customer_ref="cus_1",
    )  # fmt: skip
    # Given a first card, its activation delivered twice, then a new card, then the new card detached
    for event in (_activated("seti_1", "pm_1", 0), _activated("seti_1", "pm_1", 0),
                  _activated("seti_2", "pm_2", 10), detached, detached):  # fmt: skip
        outcome = apply_mandate_event(mandate, event)
        if not outcome.changed or outcome.mandate is None:
            continue  # what ProcessStripeEvent does: an unchanged record is not saved
        draft = card_mandate_draft(
            "c1", mandate, outcome.mandate, invoice_id=None, by="stripe",
            reason="detached" if event is detached else None, now=NOW,
        )  # fmt: skip
        streams.commit(TENANT, "c1", draft)
        mandate = outcome.mandate
    # Then: approved (pm_1), approved (pm_2 replacing it), cancelled (pm_2 detached); no repeats
    events = streams.events(TENANT, "c1")
    assert [(e.event_type, _valid(e)["reference"]) for e in events] == [
        ("mandate.approved", "pm_1"),
        ("mandate.approved", "pm_2"),
        ("mandate.cancelled", "pm_2"),
    ]
    assert events[-1].payload["reason"] == "detached" and [e.seq for e in events] == [1, 2, 3]
    # And an inactive mandate seen inactive again reports nothing
    assert mandate is not None and mandate.status is MandateStatus.INACTIVE
    assert (
        card_mandate_draft("c1", mandate, mandate, invoice_id=None, by="stripe", reason=None, now=NOW) is None
    )


# usage: one event per batch with rejections ---------------------------------------------------------


@dataclass
class UsageWorld:
    log: MemoryOutbox = field(default_factory=MemoryOutbox)
    stored: set[str] = field(default_factory=set)

    def record(self, tenant_id_or_event: Any, records: Sequence[UsageRecord] | None = None) -> Any:
        if records is None:  # UsageRejections.record(event): put if absent
            return self.log.add(tenant_id_or_event)
        seen = {r.index for r in records if r.event.id in self.stored}  # UsageLedger.record
        self.stored |= {r.event.id for r in records}
        return seen


def _ingest(world: UsageWorld) -> IngestUsage:
    subscription = Subscription("sub_c1", "c1", Anchor.CALENDAR, (PlanPhase("bas", date(2026, 1, 1)),))
    account = CustomerAccount(TENANT, CUSTOMER, subscription, "saga@example.se", date(2027, 1, 1))
    customers = SimpleNamespace(accounts=lambda t, ids: {"c1": account} if "c1" in ids else {})
    ledger = SimpleNamespace(record=lambda t, records: world.record(t, records))
    rejections = SimpleNamespace(record=lambda event: world.record(event))
    return IngestUsage(
        tenants=_tenants(),
        customers=customers,
        ledger=ledger,
        clock=_clock(),
        rejections=rejections,  # type: ignore[arg-type]
    )


BATCH = [
    {"id": "e1", "customer_id": "c1", "metric": "data_gb", "timestamp": "2026-12-04T09:00:00Z", "value": 1},
    {
        "id": "e2",
        "customer_id": "nobody",
        "metric": "data_gb",
        "timestamp": "2026-12-04T09:00:00Z",
        "value": 1,
    },
    {"id": "e3", "customer_id": "c1", "metric": "data_gb", "timestamp": "2027-12-04T09:00:00Z", "value": 1},
]


def test_a_batch_with_rejections_is_reported_once_with_what_and_why() -> None:
    world = UsageWorld()
    # When a batch with one good and two bad events is sent, and sent again (a client's retry)
    first = _ingest(world)(TENANT, BATCH)
    _ingest(world)(TENANT, BATCH)
    # Then one usage.rejected, on the batch's own stream, names each rejected event and its reason
    (event,) = world.log.all()
    payload = _valid(event)
    assert event.stream == f"usage#{payload['batch_id']}" and event.seq == 1
    assert [(r["index"], r["id"], r["customer_id"], r["reason"]) for r in payload["rejected"]] == [
        (1, "e2", "nobody", "unknown_customer"),
        (2, "e3", "c1", "in_future"),
    ]
    assert (payload["accepted"], payload["duplicates"]) == (first.count("accepted"), 0) == (1, 0)
    # And the same events under another Idempotency-Key are another batch; a clean batch reports nothing
    _ingest(world)(TENANT, BATCH, "key-2")
    _ingest(world)(TENANT, BATCH[:1])
    assert len(world.log.all()) == 2
