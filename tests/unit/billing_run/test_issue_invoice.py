"""IssueInvoice and StartBillingRun over in-memory fakes (tests/fakes/billing_run.py): the worker's
sequence of requests, and that every crash between its steps converges on one invoice and one email."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from billing.domain.scenario import parse_catalog, parse_customer, parse_subscription, parse_tenant_settings
from billing.services.billing_run import InvoiceRequested, IssueInvoice, StartBillingRun, run_id_for
from billing.services.errors import PermanentError
from billing.services.invoice_pages import InvoicePages
from billing.services.ports import AuditEvent, CustomerAccount, StoredInvoice, TenantAccount
from infra import demo_data
from tests.fakes.billing_run import (
    Calls,
    CountingTokens,
    FakeCustomers,
    FakeInvoiceLedger,
    FakeMailer,
    FakePresenter,
    FakePublisher,
    FakeQueue,
    FakeRunLedger,
    FakeTenants,
    FakeUsage,
    FixedClock,
)

TENANT = "t1"
RUN_DATE = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


class Crash(Exception):
    """The worker's process dying at this point."""


class World:
    """One tenant with `n` customers due on RUN_DATE, the fakes, and the worker wired over them."""

    def __init__(self, n: int = 3) -> None:
        self.calls = Calls()
        tenant = TenantAccount(
            settings=parse_tenant_settings(demo_data.tenant_settings(TENANT)),
            catalog=parse_catalog(demo_data.CATALOG),
            page=dict(demo_data.PAGE_SETTINGS),
        )
        self.customers = FakeCustomers()
        for c in demo_data.customers(n, history_start=date(2025, 12, 1), tenant_id=TENANT):
            self.customers.accounts[(TENANT, c.profile["id"])] = CustomerAccount(
                tenant_id=TENANT,
                customer=parse_customer(c.profile),
                subscription=parse_subscription(c.subscription),
                email=c.email,
                next_period_start=RUN_DATE,
            )
        self.runs = FakeRunLedger(calls=self.calls)
        self.ledger = FakeInvoiceLedger(self.customers, self.runs, calls=self.calls)
        self.usage = FakeUsage(calls=self.calls)
        self.publisher = FakePublisher(calls=self.calls)
        self.mailer = FakeMailer(calls=self.calls)
        self.clock = FixedClock(NOW)
        tenants = FakeTenants({TENANT: tenant})
        self.pages = InvoicePages(
            tenants=tenants,
            customers=self.customers,
            invoices=self.ledger,
            presenter=FakePresenter(),
            pages=self.publisher,
            clock=self.clock,
            usage=self.usage,
        )
        self.worker = IssueInvoice(
            tenants=tenants,
            usage=self.usage,
            invoices=self.ledger,
            runs=self.runs,
            pages=self.pages,
            mailer=self.mailer,
            clock=self.clock,
            tokens=CountingTokens(),
        )
        self.queue = FakeQueue()
        self.starter = StartBillingRun(self.customers, self.runs, self.queue, self.clock)

    def request(self, customer_id: str = "c00001") -> InvoiceRequested:
        return InvoiceRequested(TENANT, customer_id, run_id_for(TENANT, RUN_DATE), RUN_DATE)

    def stored(self) -> list[StoredInvoice]:
        return sorted(self.ledger.invoices.values(), key=lambda s: s.invoice.number or "")


def crash_at(target: object, name: str) -> None:
    """Make `target.name` raise Crash once, then behave again."""
    real = getattr(target, name)

    def once(*args: object, **kwargs: object) -> object:
        setattr(target, name, real)
        raise Crash

    setattr(target, name, once)


def test_an_invoice_takes_one_read_one_usage_read_one_transaction_and_one_write_after_the_email() -> None:
    # Given a customer due in the run, and no earlier invoice
    world = World(1)

    # When the worker issues its invoice
    outcome = world.worker(world.request())

    # Then the requests are: the inputs in one read, the usage, the transaction (which claims the
    # email), the page with its history, the email, and one write after it
    assert outcome.outcome == "invoiced" and outcome.emailed
    data_requests = [c for c in world.calls if c.startswith(("ledger.", "runs."))]
    usage_reads = [c for c in world.calls if c.startswith("usage.")]
    assert data_requests == ["ledger.issue_inputs", "ledger.issue", "ledger.history", "ledger.emailed"]
    # And the usage port is read once (the demo catalog bills from daily totals only), before the page
    assert usage_reads == ["usage.daily"]
    assert world.calls.index("usage.daily") < world.calls.index("s3.publish")
    # And the page is put once the number is the invoice's (after the transaction, so the counter is
    # held only from its read to the commit), before the email; the write after it records both
    assert world.calls.index("ledger.issue") < world.calls.index("s3.publish") < world.calls.index("ses.send")
    (stored,) = world.stored()
    assert stored.page_published_at == NOW and stored.email_status == "sent"
    assert stored.invoice.number == "NM-000001"
    assert world.publisher.pages[f"i/{stored.page_token}"].decode().startswith("<h1>NM-000001</h1>")
    assert world.mailer.sent[0]["subject"] == "Invoice NM-000001"
    # And the run knows it delivered, and the message which invoice it was
    assert world.runs.undelivered(world.request().run_id) == []
    assert world.ledger.sent_messages == {"msg-1": stored.invoice_id}


def test_a_lost_race_for_the_number_takes_the_next_number_for_the_invoice_its_page_and_email() -> None:
    # Given a customer, and another worker that takes number 1 between our read and our transaction
    world = World(2)
    counter_id = world.ledger.counter_id(TENANT, "NM-")

    def other_worker() -> None:
        world.ledger.before_transaction = None
        world.ledger.counters[counter_id] = 1

    world.ledger.before_transaction = other_worker

    # When the worker issues the invoice
    world.worker(world.request())

    # Then it is number 2, and the page and the email say so
    (stored,) = world.stored()
    assert stored.invoice.number == "NM-000002"
    assert world.publisher.pages[f"i/{stored.page_token}"].decode().startswith("<h1>NM-000002</h1>")
    assert world.mailer.sent[0]["subject"] == "Invoice NM-000002"


@pytest.mark.parametrize(
    "where",
    ["publish", "transaction", "send", "emailed"],
)
def test_a_crash_at_any_step_and_a_redelivery_end_with_one_invoice_and_at_most_one_email(where: str) -> None:
    # Given a worker that dies at one step
    world = World(1)
    if where == "publish":
        crash_at(world.publisher, "publish")
    elif where == "transaction":
        world.ledger.before_transaction = lambda: crash_at(world.ledger, "_apply")
    elif where == "send":
        crash_at(world.mailer, "send")
    else:
        crash_at(world.ledger, "emailed")
    with pytest.raises(Crash):
        world.worker(world.request())

    # When the message is delivered again: once the claim of the dead attempt is stale, except after a
    # crash between SES taking the mail and the mark (the one window where a stale claim would send it
    # twice, as before this design: SQS redelivers well within the claim's 15 minutes)
    world.ledger.before_transaction = None
    world.clock.at = NOW + (timedelta(minutes=1) if where == "emailed" else timedelta(minutes=20))
    world.worker(world.request())

    # Then there is exactly one invoice, numbered 1, its page published and its email sent once
    (stored,) = world.stored()
    assert stored.invoice.number == "NM-000001"
    assert stored.page_published_at is not None
    assert len(world.mailer.sent) <= 1
    if stored.email_status == "sent":
        assert len(world.mailer.sent) == 1
    if where != "emailed":  # a crash after SES took the mail: it was sent, the mark is what is missing
        assert stored.email_status == "sent" and len(world.mailer.sent) == 1


def test_a_failed_send_releases_the_claim_so_the_retry_sends_it() -> None:
    # Given SES failing once
    world = World(1)
    world.mailer.fail_next = 1
    with pytest.raises(ConnectionError):
        world.worker(world.request())

    # When the message is delivered again at once
    outcome = world.worker(world.request())

    # Then the retry sends the email (the claim was released), and the invoice was issued only once
    assert outcome.outcome == "already_invoiced" and outcome.emailed
    assert len(world.mailer.sent) == 1 and len(world.stored()) == 1


def test_a_page_that_fails_after_the_commit_releases_the_claim_so_the_retry_sends_it() -> None:
    # Given S3 refusing the page once, after the issuing transaction claimed the email
    world = World(1)
    real = world.publisher.publish

    def refuse_once(key: str, body: bytes, content_type: str) -> None:
        world.publisher.publish = real  # type: ignore[method-assign]
        raise ConnectionError("S3 is down")

    world.publisher.publish = refuse_once  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        world.worker(world.request())

    # When the message is delivered again at once (well within the claim's 15 minutes)
    outcome = world.worker(world.request())

    # Then the page is out and the email sent, once, for the one invoice
    assert outcome.outcome == "already_invoiced" and outcome.emailed
    (stored,) = world.stored()
    assert stored.page_published_at is not None and stored.email_status == "sent"
    assert len(world.mailer.sent) == 1


def test_a_redelivered_message_after_everything_is_done_writes_nothing() -> None:
    # Given an invoice issued and emailed
    world = World(1)
    world.worker(world.request())
    world.calls.clear()

    # When its message comes again
    outcome = world.worker(world.request())

    # Then nothing is sent again, and the run outcome is marked delivered (idempotent)
    assert outcome.outcome == "already_invoiced" and not outcome.emailed
    assert len(world.mailer.sent) == 1
    assert "ledger.issue" not in world.calls and "ses.send" not in world.calls


def test_a_customer_not_due_is_skipped_without_reading_usage() -> None:
    # Given a customer already invoiced for this period by another run
    world = World(1)
    key = (TENANT, "c00001")
    world.customers.accounts[key] = replace(
        world.customers.accounts[key], next_period_start=date(2026, 12, 1)
    )

    # When the worker gets its message
    outcome = world.worker(world.request())

    # Then it records a skip and reads nothing else
    assert outcome.outcome == "skipped"
    assert world.calls == ["ledger.issue_inputs", "ledger.skip"]


def test_an_unknown_customer_is_a_permanent_error() -> None:
    world = World(1)
    with pytest.raises(PermanentError):
        world.worker(world.request("nobody"))


def test_the_autopay_audit_step_is_written_in_the_issuing_transaction() -> None:
    # Given a worker whose autopay says the invoice is paid automatically
    world = World(1)

    class Autopay:
        def state(self, tenant: object, account: object, invoice: object, now: datetime) -> dict[str, object]:
            return {"stripe": {"autopay": "active"}}

        @staticmethod
        def audit_event(state: dict[str, object], at: datetime) -> AuditEvent | None:
            return AuditEvent("autopay_active", "system", at) if state else None

    world.worker.autopay = Autopay()  # type: ignore[assignment]

    # When it issues the invoice
    world.worker(world.request())

    # Then the step is in the trail with no request of its own
    (stored,) = world.stored()
    assert [(i, e.action) for i, e in world.ledger.audit] == [(stored.invoice_id, "autopay_active")]
    assert stored.state == {"stripe": {"autopay": "active"}}
    assert [c for c in world.calls if c.startswith("ledger.")].count("ledger.issue") == 1


def test_a_run_numbers_its_customers_1_to_n_and_finishes() -> None:
    # Given three customers due
    world = World(3)

    # When the run starts and every queued message is worked
    started = world.starter(TENANT, RUN_DATE)
    for request in world.queue.requests():
        world.worker(request)
    world.runs.finish_if_done(started.run_id, NOW)

    # Then each got one invoice, numbered 1..3 without a gap, and the run is finished
    assert started.queued == 3
    assert [s.invoice.number for s in world.stored()] == ["NM-000001", "NM-000002", "NM-000003"]
    assert world.runs.runs[started.run_id].finished


def test_starting_again_requeues_only_the_undelivered() -> None:
    # Given a run whose second customer's email failed after its invoice was issued
    world = World(2)
    started = world.starter(TENANT, RUN_DATE)
    world.worker(world.queue.requests()[0])
    world.mailer.fail_next = 1
    with pytest.raises(ConnectionError):
        world.worker(world.queue.requests()[1])
    world.queue.messages.clear()

    # When the run is started again
    again = world.starter(TENANT, RUN_DATE)

    # Then it joins the same run and queues the undelivered customer only
    assert again.run_id == started.run_id
    assert [m["customer_id"] for m in world.queue.messages] == ["c00002"]
