"""The reminder flow through the outbox: each reminder step is claimed in the same transaction as its
reminder.sent event (and the invoice's invoice.overdue with the first), and the email, the page and
the trail's step are that event's effects, so a run that fails or dies anywhere converges to exactly
one email per step.

Over in-memory ports with the once-only rules of the DynamoDB adapters (tests/unit/outbox/fakes.py),
the real daily job (SendReminders), driver (DriveOutbox) and email effect (SendReminderEmail): an
invoice issued (its invoice.issued event still to drive) is reminded on two days. One port call fails
once, or the process dies before one, at a seeded random point; the scheduler runs the day's job again
and the outbox's sweep runs as its schedule would. Every trial must end with the state, emails, audit
entries and merchant events of the run without a fault.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from billing.domain.invoice_events import issued_event
from billing.domain.outbox import OutboxEvent, invoice_stream
from billing.services.deliveries.ports import SentEmail
from billing.services.dunning import Email, SendReminders
from billing.services.errors import RetryableError
from billing.services.outbox import DriveOutbox
from billing.services.outbox.catalog import BY_NAME
from billing.services.outbox.reminder_email import SendReminderEmail
from billing.services.ports import AuditEvent, PageInputs, StoredInvoice
from tests.fakes.tenants import a_tenant_account
from tests.unit.dunning.dunning_builders import RATES
from tests.unit.outbox.fakes import MemoryMerchant, MemoryMoneyAudit, MemoryOutbox
from tests.unit.outbox.fault_trials import Fault, Killed, every_point, random_trials
from tests.unit.page.builders import invoice

TENANT = "t1"
TRIALS = 100
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
# The invoice is due 30 November; the default policy reminds 5 and 20 days after that.
DAYS = (date(2026, 12, 6), date(2026, 12, 21))


@dataclass
class World:
    fault: Fault = field(default_factory=Fault)
    invoices: dict[str, StoredInvoice] = field(default_factory=dict)
    emails: list[tuple[str, str]] = field(default_factory=list)
    delivered: dict[str, SentEmail] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    steps: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    now_at: datetime = T0

    def __post_init__(self) -> None:
        self.outbox = MemoryOutbox(lambda: self.fault.tick("outbox"))
        self.money_audit = MemoryMoneyAudit(lambda: self.fault.tick("money audit"))
        self.merchant = MemoryMerchant(lambda: self.fault.tick("merchant"))
        doc = invoice(invoice_id="inv1", number="NM-1", customer_id="c1")
        self.invoices["inv1"] = StoredInvoice(
            invoice=doc, page_token="tok1", status="open", amount_due=doc.amount_due, event_seq=1
        )
        self.outbox.add(issued_event(doc, T0))

    # TenantDirectory, CustomerDirectory
    def get_tenant(self, tenant_id: str) -> Any:
        return a_tenant_account(email="support@example.se")

    def get_customer(self, tenant_id: str, customer_id: str) -> Any:
        return SimpleNamespace(
            customer=SimpleNamespace(id=customer_id),
            email="kund@example.se",
            subscription=SimpleNamespace(start_date=date(2026, 1, 1)),
        )

    # InvoiceLedger
    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        self.fault.tick("get invoice")
        return self.invoices.get(invoice_id)

    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        return []

    # DunningStore: the dunning state and its outbox events in one transaction
    def open_invoices(self, tenant_id: str, due_through: date) -> Iterator[StoredInvoice]:
        self.fault.tick("open invoices")
        yield from [s for s in self.invoices.values() if s.invoice.due_date <= due_through]

    def fee_agreed_on(self, tenant_id: str, customer_id: str) -> date | None:
        return None

    def save_dunning(
        self,
        stored: StoredInvoice,
        dunning: dict[str, Any],
        *,
        events: Sequence[OutboxEvent] = (),
        **fields: Any,
    ) -> bool:
        self.fault.tick("save dunning")
        current = self.invoices[stored.invoice_id]
        if current.state.get("dunning") != stored.state.get("dunning"):
            return False
        if events and current.event_seq != events[0].seq - 1:
            return False
        self.invoices[stored.invoice_id] = replace(
            current,
            state={**current.state, "dunning": dunning},
            event_seq=events[-1].seq if events else current.event_seq,
        )
        for event in events:
            self.outbox.add(event)
        return True

    # InvoicePages, DunningMail, Mailer, DeliveryLog, AuditTrail, Clock
    def load(self, stored: StoredInvoice) -> tuple[Any, Any]:
        self.fault.tick("load page inputs")
        return self.get_tenant(stored.tenant_id), self.get_customer(stored.tenant_id, "c1")

    def publish(self, stored: StoredInvoice, tenant: Any = None, account: Any = None) -> None:
        self.fault.tick("publish page")
        self.pages.append(stored.invoice_id)

    def reminder(self, inputs: PageInputs, record: Any) -> Email:
        return Email(f"Påminnelse {record['step']} ({inputs.today.isoformat()})", "text", "<p>html</p>")

    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        self.fault.tick("send email")
        self.emails.append((to, subject))
        return f"msg-{subject}"

    def sent(self, email: SentEmail, at: datetime) -> None:
        self.fault.tick("delivery log")
        self.delivered[email.message_id] = email

    def append(self, tenant_id: str, invoice_id: str, event: AuditEvent) -> None:
        self.fault.tick("audit step")
        key = event.key or f"{event.at.isoformat()}#{len(self.steps)}"
        self.steps.setdefault(key, (invoice_id, event.action, event.actor))

    def now(self) -> datetime:
        return self.now_at


def _job(world: World, run_at: datetime) -> tuple[SendReminders, DriveOutbox]:
    """What a fresh process builds (nothing survives a kill but the stored world). The job's clock is
    the run's scheduled time, so a retried run writes the same events as the first."""
    drive = DriveOutbox(
        outbox=world.outbox,
        money_audit=world.money_audit,
        invoices=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        receipts=world,
        audit=world,
        merchant=world.merchant,
        clock=world,
        reminders=SendReminderEmail(
            invoices=world,  # type: ignore[arg-type]
            store=world,  # type: ignore[arg-type]
            pages=world,  # type: ignore[arg-type]
            mail=world,  # type: ignore[arg-type]
            mailer=world,
            clock=world,
            deliveries=world,  # type: ignore[arg-type]
        ),
    )
    job = SendReminders(
        tenants=SimpleNamespace(get=world.get_tenant),  # type: ignore[arg-type]
        customers=SimpleNamespace(get=world.get_customer),  # type: ignore[arg-type]
        invoices=world,  # type: ignore[arg-type]
        store=world,  # type: ignore[arg-type]
        pages=world,  # type: ignore[arg-type]
        mail=world,  # type: ignore[arg-type]
        mailer=world,
        audit=world,
        rates=RATES,
        clock=SimpleNamespace(now=lambda: run_at),  # type: ignore[arg-type]
        effects=drive,
    )
    return job, drive


def run(world: World) -> list[dict[str, int]]:
    """Both days' runs, each repeated (as the scheduler retries a failed run) until it has nothing
    failed; then the outbox's sweep. Returns each successful run's outcomes."""
    outcomes = []
    for day in DAYS:
        run_at = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
        world.now_at = max(world.now_at, run_at)
        for _ in range(5):
            job, _ = _job(world, run_at)
            try:
                summary = job(TENANT, day)
            except (RetryableError, Killed):
                world.now_at += timedelta(minutes=16)
                continue
            if not summary.failed:
                outcomes.append(dict(summary.outcomes))
                break
        else:
            raise AssertionError(f"the run of {day} kept failing")
    for _ in range(5):
        _, drive = _job(world, world.now_at)
        try:
            drive.sweep(world.now_at)
            return outcomes
        except (RetryableError, Killed):
            world.now_at += timedelta(minutes=16)
    raise AssertionError("the sweep kept failing")


def outcome(world: World) -> dict[str, Any]:
    stored = world.invoices["inv1"]
    return {
        "dunning": stored.state.get("dunning"),
        "event_seq": stored.event_seq,
        "emails": sorted(world.emails),
        "delivered": dict(world.delivered),
        "pages": sorted(set(world.pages)),
        "money_audit": sorted(world.money_audit.entries.items()),
        "steps": sorted(world.steps.values()),
        "merchant": world.merchant.unique(),
        "pending": [e.event_id for e in world.outbox.all() if e.pending],
    }


def _clean() -> tuple[dict[str, Any], int, list[str]]:
    clean = World()
    run(clean)
    expected = outcome(clean)
    assert expected["pending"] == []
    return expected, clean.fault.calls, clean.fault.trace


def test_each_step_writes_its_event_once_and_sends_one_email() -> None:
    world = World()
    outcomes = run(world)
    assert outcomes == [{"reminder_sent": 1}, {"reminder_sent": 1}]
    events = world.outbox.events(TENANT, invoice_stream("inv1"))
    assert [(e.seq, e.event_type) for e in events] == [
        (1, "invoice.issued"),
        (2, "invoice.overdue"),
        (3, "reminder.sent"),
        (4, "reminder.sent"),
    ]
    assert [e.payload.get("reminder_step") for e in events[2:]] == [1, 2]
    assert events[1].payload["days_overdue"] == 6
    for event in events:
        BY_NAME[event.event_type].payload.model_validate(event.payload)
    # One email per step, each recorded as sent with the message id SES's bounce will name
    assert [s for _, s in world.emails] == ["Påminnelse 1 (2026-12-06)", "Påminnelse 2 (2026-12-21)"]
    reminders = world.invoices["inv1"].state["dunning"]["reminders"]
    assert [(r["status"], r["message_id"]) for r in reminders] == [
        ("sent", "msg-Påminnelse 1 (2026-12-06)"),
        ("sent", "msg-Påminnelse 2 (2026-12-21)"),
    ]
    assert sorted((e.kind, e.step) for e in world.delivered.values()) == [("reminder", 1), ("reminder", 2)]
    # The trail has each step once; the merchant heard every event once, in order
    assert sorted(world.steps.values()) == [("inv1", "reminder_sent", "system")] * 2
    assert [m["sequence"] for m in world.merchant.published] == [1, 2, 3, 4]
    # A repeated run the same day writes nothing and sends nothing
    job, _ = _job(world, world.now_at)
    assert job(TENANT, DAYS[1]).reminders_sent == 0
    assert len(world.outbox.all()) == 4 and len(world.emails) == 2


def test_an_email_that_fails_is_sent_by_the_sweep_not_given_back() -> None:
    # Given the first reminder's email failing once
    world = World()
    original = world.send
    failures: list[int] = []

    def fail_once(**kwargs: Any) -> str:
        if not failures:
            failures.append(1)
            raise RetryableError("SES throttled")
        return original(**kwargs)

    world.send = fail_once  # type: ignore[method-assign]
    job, drive = _job(world, datetime(2026, 12, 6, 6, 0, tzinfo=UTC))
    # When the day's run goes: the step stays claimed (the run counts it queued), no email yet
    assert dict(job(TENANT, DAYS[0]).outcomes) == {"reminder_queued": 1}
    assert world.emails == []
    # Then the next day's run decides nothing new, and the sweep sends that step's email, once
    job(TENANT, DAYS[0] + timedelta(days=1))
    drive.sweep(world.now_at)
    drive.sweep(world.now_at)
    assert [s for _, s in world.emails] == ["Påminnelse 1 (2026-12-06)"]
    assert world.outbox.all()[-1].pending == ()


def _check_trial(world: World, expected: dict[str, Any], trace: list[str], label: Any) -> bool:
    """The trial's outcome is the clean run's. The one exception SES leaves open: the process died
    after an email was sent, before its claim was marked done; then that one email went out twice."""
    got = outcome(world)
    assert {k: v for k, v in got.items() if k != "emails"} == {
        k: v for k, v in expected.items() if k != "emails"
    }, label
    if got["emails"] != expected["emails"]:
        assert _died_after_send(world.fault, trace), label
        assert len(got["emails"]) == len(expected["emails"]) + 1, label
        assert set(got["emails"]) == set(expected["emails"]), label
        return True
    return False


def _died_after_send(fault: Fault, trace: list[str]) -> bool:
    """Killed after an email was sent and before the outbox heard of it (its done-mark; the delivery
    log and the step's status come in between)."""
    before = trace[: fault.at - 1]
    if not fault.kill or "send email" not in before:
        return False
    sent = len(before) - 1 - before[::-1].index("send email")
    return "outbox" not in before[sent + 1 :]


def test_one_fault_at_a_random_point_ends_as_a_run_without_faults() -> None:
    expected, calls, trace = _clean()
    assert calls > 30

    def check(world: World, label: Any) -> bool:
        return _check_trial(world, expected, trace, label)

    trials = random_trials(World, run, check, calls=calls, trace=trace, seed=1616, trials=TRIALS)
    assert len({"save dunning", "send email", "publish page", "merchant", "outbox"} & trials.points) >= 4
    assert 20 <= trials.kills <= 60
    print(
        f"\n{TRIALS} random reminder trials over {calls} port calls: {trials.kills} kills,"
        f" {trials.duplicates} duplicate emails"
    )


def test_a_fault_at_every_single_point_ends_as_a_run_without_faults() -> None:
    expected, calls, trace = _clean()

    def check(world: World, label: Any) -> bool:
        return _check_trial(world, expected, trace, label)

    duplicates = every_point(World, run, check, calls=calls, trace=trace)
    # The window SES leaves open (no idempotency key): dying after an email was sent and before its
    # done-mark, across the delivery log and the step's status (recorded first, so a bounce can always
    # name the step and the page shows it): four points per step, and nowhere else.
    window = sum(_died_after_send(Fault(at=at, kill=True), trace) for at in range(1, calls + 1))
    assert window == 4 * len(DAYS)
    assert duplicates == window
    print(f"\n{2 * calls} reminder trials (every point, fail and kill): {duplicates} duplicate emails")
