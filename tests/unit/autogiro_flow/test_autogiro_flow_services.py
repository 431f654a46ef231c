"""The Autogiro use cases over in-memory ports: the form, the daily file, the reports, the page state.

Pure: no sockets, no clock (moments are passed in). The local-stack run of the same flow is
tests/integration/test_autogiro_flow.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from billing.domain.autogiro.bankdays import banking_days_between, previous_banking_day
from billing.domain.autogiro.invoice_state import autogiro_invoice_state
from billing.domain.autogiro.outcomes import Reason
from billing.domain.autogiro.parser import parse_file
from billing.domain.autogiro.planning import HoldReason
from billing.domain.autogiro.records import (
    CancelMandate as CancelMandateRecord,
)
from billing.domain.autogiro.records import (
    CreateMandate,
    PaymentOrder,
    RequestFile,
)
from billing.domain.merchant_events import EventDraft
from billing.domain.page.context import AutogiroNotice, AutogiroNoticeKind
from billing.domain.payments import PaymentSucceeded
from billing.services.autogiro import (
    AutogiroFormError,
    AutogiroMandates,
    CancelMandate,
    ExportRequestFile,
    ImportReport,
    Mandate,
    MandateStatus,
    autogiro_page_links,
    autogiro_page_notice,
    autogiro_page_state,
    autogiro_settings,
)
from billing.services.autogiro.ports import MandateApplication
from billing.services.errors import PermanentError, RetryableError
from billing.services.outbox.catalog import MandateChanged
from billing.services.ports import StoredInvoice
from tests.fakes.tenants import a_tenant_account
from tests.unit.outbox.fakes import MemoryCustomerStreams
from tests.unit.page.builders import invoice

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TOKEN = "tok_0123456789abcdefABCDEF"
GOOD = {"personnummer": "19121212-1212", "clearing": "5000", "account_number": "1111116", "consent": "yes"}
BG = "0050501055"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=STOCKHOLM)


def a_tenant(autogiro: dict[str, Any] | None = None, currency: str = "SEK") -> Any:
    page: dict[str, Any] = {"name": "Nordljus Mobil"}
    if autogiro is not None:
        page["autogiro"] = autogiro
    return a_tenant_account(page, currency=currency, bankgiro="5050-1055")


TENANT = a_tenant({"customer_number": "471117"})


def stored_invoice(invoice_id: str = "inv1", **overrides: Any) -> StoredInvoice:
    # Due 2026-11-30 (a Monday): issued 1 November with 29 days' terms.
    doc = invoice(invoice_id=invoice_id)
    return StoredInvoice(invoice=doc, page_token=TOKEN, status="open", amount_due=doc.amount_due, **overrides)


# ------------------------------------------------------------------ in-memory ports


@dataclass
class Ledger:
    invoices: dict[str, StoredInvoice] = field(default_factory=dict)

    def get(self, tenant_id: str, invoice_id: str) -> StoredInvoice | None:
        return self.invoices.get(invoice_id)

    def by_page_token(self, token: str) -> StoredInvoice | None:
        return next((s for s in self.invoices.values() if s.page_token == token), None)

    def history(self, tenant_id: str, customer_id: str, before: date, limit: int = 24) -> list[StoredInvoice]:
        return [s for s in self.invoices.values() if s.invoice.customer_id == customer_id]

    # AutogiroInvoices
    def open_invoices(self, tenant_id: str) -> Any:
        return iter([s for s in self.invoices.values() if s.status == "open"])

    def update_autogiro(self, tenant_id: str, invoice_id: str, change: Any) -> StoredInvoice:
        stored = self.invoices[invoice_id]
        state = {**stored.state, "autogiro": change(autogiro_invoice_state(stored.state)).to_record()}
        self.invoices[invoice_id] = replace(stored, state=state)
        return self.invoices[invoice_id]


@dataclass
class Mandates:
    items: dict[str, Mandate] = field(default_factory=dict)
    outbox: set[str] = field(default_factory=set)
    debits: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    # the customer's outbox stream: a change's event is added with the change, as the adapter does
    streams: MemoryCustomerStreams = field(default_factory=MemoryCustomerStreams)

    def get(self, tenant_id: str, customer_id: str) -> Mandate | None:
        return self.items.get(customer_id)

    def by_payer(self, tenant_id: str, payer_number: str) -> Mandate | None:
        return next((m for m in self.items.values() if m.payer_number == payer_number.lstrip("0")), None)

    def request(self, application: MandateApplication) -> Mandate:
        customer_id, account = application.customer_id, application.account
        payer = (
            self.items[customer_id].payer_number if customer_id in self.items else str(len(self.items) + 1)
        )
        mandate = Mandate(
            application.tenant_id,
            customer_id,
            payer,
            MandateStatus.PENDING,
            account.clearing,
            account.number,
            application.identity,
            application.invoice_id,
            application.now,
        )
        self.items[customer_id] = mandate
        self.outbox.add(customer_id)
        return mandate

    def request_cancel(self, mandate: Mandate, now: datetime, event: EventDraft | None = None) -> Mandate:
        self.items[mandate.customer_id] = replace(mandate, status=MandateStatus.CANCEL_PENDING)
        self.outbox.add(mandate.customer_id)
        self.streams.commit(mandate.tenant_id, mandate.customer_id, event)
        return self.items[mandate.customer_id]

    def to_send(self, tenant_id: str) -> list[Mandate]:
        return [self.items[c] for c in sorted(self.outbox)]

    def mark_sent(self, mandate: Mandate, sent_on: date, now: datetime) -> None:
        status = MandateStatus.SENT if mandate.status is MandateStatus.PENDING else MandateStatus.CANCELLED
        self.items[mandate.customer_id] = replace(mandate, status=status, sent_on=sent_on)
        self.outbox.discard(mandate.customer_id)

    def answer(
        self,
        mandate: Mandate,
        status: MandateStatus,
        reason: Reason | None,
        now: datetime,
        event: EventDraft | None = None,
    ) -> Mandate:
        if event is not None and self.items[mandate.customer_id].status is not mandate.status:
            raise RetryableError("the mandate changed meanwhile")  # the adapter's status condition
        self.items[mandate.customer_id] = replace(mandate, status=status, reason=reason)
        self.streams.commit(mandate.tenant_id, mandate.customer_id, event)
        return self.items[mandate.customer_id]

    def claim_debit(self, tenant_id: str, invoice_id: str, debit_date: date, details: dict[str, Any]) -> bool:
        if (invoice_id, debit_date) in self.debits:
            return False
        self.debits[(invoice_id, debit_date)] = details
        return True

    def release_debit(self, tenant_id: str, invoice_id: str, debit_date: date) -> None:
        self.debits.pop((invoice_id, debit_date), None)

    def import_done(self, tenant_id: str, digest: str) -> bool:
        return digest in self.imports

    def mark_imported(self, tenant_id: str, digest: str, details: dict[str, Any]) -> None:
        self.imports.add(digest)


@dataclass
class Pages:
    tenant: Any = field(default_factory=lambda: TENANT)
    published: list[StoredInvoice] = field(default_factory=list)

    def load(self, stored: StoredInvoice) -> tuple[Any, Any]:
        return self.tenant, SimpleNamespace(customer=SimpleNamespace(language="sv"), email="anna@example.se")

    def publish(self, stored: StoredInvoice, tenant: Any = None, account: Any = None) -> Any:
        self.published.append(stored)
        debit = (stored.state.get("autogiro") or {}).get("debit_date")
        return SimpleNamespace(
            email_subject=f"debiteras {debit}", email_text="text", email_html="<p>html</p>"
        )


@dataclass
class Recorder:
    calls: list[Any] = field(default_factory=list)

    def send(self, **kw: Any) -> str:
        self.calls.append(kw)
        return "id"

    def append(self, tenant_id: str, invoice_id: str, event: Any) -> None:
        self.calls.append((invoice_id, event.action, event.actor))

    def __call__(self, tenant_id: str, invoice_id: str, event: Any, source: str) -> None:
        self.calls.append((invoice_id, event, source))


@dataclass
class Files:
    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, key: str, body: bytes) -> None:
        self.files[key] = body

    def read(self, key: str) -> bytes:
        return self.files[key]

    def exists(self, key: str) -> bool:
        return key in self.files


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


@dataclass
class World:
    ledger: Ledger
    mandates: Mandates
    pages: Pages
    audit: Recorder
    mailer: Recorder
    settle: Recorder
    files: Files
    clock: Clock

    def form(self) -> AutogiroMandates:
        return AutogiroMandates(
            invoices=self.ledger, autogiro_invoices=self.ledger, mandates=self.mandates,
            pages=self.pages, audit=self.audit, clock=self.clock,
        )  # fmt: skip

    def export(self, now: datetime) -> Any:
        use_case = ExportRequestFile(
            tenants=lambda _: self.pages.tenant, autogiro_invoices=self.ledger, mandates=self.mandates,
            pages=self.pages, files=self.files, mailer=self.mailer, audit=self.audit, clock=self.clock,
        )  # fmt: skip
        return use_case("t1", now)

    def import_report(self, name: str, body: bytes) -> Any:
        key = f"autogiro/inbox/t1/{name}"
        self.files.write(key, body)
        return ImportReport(
            tenants=lambda _: self.pages.tenant, invoices=self.ledger, autogiro_invoices=self.ledger,
            mandates=self.mandates, pages=self.pages, settle=self.settle, files=self.files,
            audit=self.audit, clock=self.clock,
        )(key)  # fmt: skip


@pytest.fixture
def world() -> World:
    ledger = Ledger({"inv1": stored_invoice()})
    return World(
        ledger,
        Mandates(),
        Pages(),
        Recorder(),
        Recorder(),
        Recorder(),
        Files(),
        Clock(at(date(2026, 11, 23))),
    )


def approved(world: World) -> Mandate:
    mandate = Mandate("t1", "c1", "1", MandateStatus.APPROVED, invoice_id="inv1")
    world.mandates.items["c1"] = mandate
    return mandate


def request_file(body: bytes) -> list[Any]:
    parsed = parse_file(body)
    assert isinstance(parsed, RequestFile)
    return [r for s in parsed.sections for r in s.records]


def line(*fields: tuple[int, str]) -> str:
    chars = [" "] * 80
    for start, value in fields:
        chars[start - 1 : start - 1 + len(value)] = value
    return "".join(chars)


def mandate_notification(payer: str, info: str, comment: str) -> bytes:
    lines = [
        line((1, "01AUTOGIRO"), (25, "20261123"), (45, "AG-MEDAVI"), (65, "471117"), (71, BG)),
        line((1, "73"), (3, BG), (13, payer.rjust(16, "0")), (62, info + comment), (66, "20261123")),
        line((1, "09"), (3, "20261123"), (11, "9900"), (15, "0000001")),
    ]
    return "\r\n".join(lines).encode("latin-1")


def payment_specification(
    payer: str, amount: int, reference: str, status: str, day: str = "20261130"
) -> bytes:
    ok = status == "0"
    lines = [
        line((1, "01AUTOGIRO"), (25, day + "080000000000"), (45, "BET. SPEC & STOPP TK"), (65, "471117"),
             (71, BG)),
        line((1, "15"), (3, "5000000001111116".rjust(35, "0")), (38, day), (46, "00001" if ok else "00000"),
             (51, str(amount if ok else 0).rjust(18, "0")), (72, str(int(ok)).rjust(8, "0"))),
        line((1, "82"), (3, day), (11, "0"), (16, payer.rjust(16, "0")), (32, str(amount).rjust(12, "0")),
             (44, BG), (54, reference.rjust(16, "0")), (80, status)),
        line((1, "09"), (3, day), (11, "9900"), (15, "000001"), (21, str(int(ok)).rjust(12, "0")),
             (33, "0" * 36)),
    ]  # fmt: skip
    return "\r\n".join(lines).encode("latin-1")


# ------------------------------------------------------------------ settings


def test_autogiro_is_offered_only_to_sek_tenants_with_a_bankgirot_customer_number() -> None:
    # Given tenants with and without an agreement
    # When their settings are read
    # Then only the SEK one with a customer number offers Autogiro, with the tenant's bankgiro by default
    assert autogiro_settings(a_tenant()) is None
    assert autogiro_settings(a_tenant({"customer_number": "471117"}, currency="EUR")) is None
    conf = autogiro_settings(TENANT)
    assert conf is not None and conf.payee.bankgiro == "50501055" and conf.payee.customer_number == "471117"
    with pytest.raises(PermanentError) as refused:
        autogiro_settings(a_tenant({"customer_number": "1234567"}))
    assert refused.value.field == "page.autogiro.customer_number"


# ------------------------------------------------------------------ the form


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"personnummer": "19121212-1213"}, "personnummer"),
        ({"personnummer": "556677-8899"}, "personnummer"),  # a company number
        ({"clearing": "0000"}, "clearing"),
        ({"account_number": "1111117"}, "account_number"),
        ({"consent": ""}, "consent"),
    ],
)
def test_a_wrong_field_is_refused_by_name_and_nothing_is_stored(
    world: World, change: dict[str, str], field: str
) -> None:
    # When the form is posted with one wrong field
    with pytest.raises(AutogiroFormError) as refused:
        world.form().submit(TOKEN, {**GOOD, **change})
    # Then that field is named, and no mandate, audit or page change happened
    assert refused.value.field == field
    assert world.mandates.items == {} and world.audit.calls == [] and world.pages.published == []


def test_a_good_mandate_is_stored_pending_once_and_the_page_says_so(world: World) -> None:
    # When the form is posted twice with good values
    first = world.form().submit(TOKEN, GOOD)
    second = world.form().submit(TOKEN, GOOD)
    # Then one pending mandate with the canonical account and identity, audited once, page re-rendered
    mandate = world.mandates.items["c1"]
    assert first.mandate == second.mandate == mandate
    assert (mandate.status, mandate.clearing, mandate.account_number, mandate.identity) == (
        MandateStatus.PENDING, "5000", "1111116", "191212121212",
    )  # fmt: skip
    assert [c[1] for c in world.audit.calls] == ["autogiro_mandate_requested"]
    stored = world.ledger.invoices["inv1"]
    assert stored.state["autogiro"]["mandate"]["status"] == "pending"
    assert world.pages.published[-1] == stored


# ------------------------------------------------------------------ the daily file


def test_the_debit_date_is_told_first_then_ordered_once_within_the_lookahead(world: World) -> None:
    # Given an approved mandate and an open invoice due 2026-11-30
    approved(world)
    # When the file is written on 24 November
    first = world.export(at(date(2026, 11, 24)))
    # Then the debit date is decided (8 banking days' notice), recorded, shown and emailed, not yet ordered
    ((invoice_id, debit_date),) = first.announced
    assert invoice_id == "inv1" and banking_days_between(date(2026, 11, 24), debit_date) >= 8
    assert debit_date == date(2026, 12, 4) and first.key is None
    assert world.ledger.invoices["inv1"].state["autogiro"]["debit_date"] == "2026-12-04"
    assert world.mailer.calls[0]["subject"] == "debiteras 2026-12-04"
    # When the file is written on 30 November, and again the same day
    second = world.export(at(date(2026, 11, 30)))
    third = world.export(at(date(2026, 11, 30), 10))
    # Then the first holds one TK82 on the date told, the second orders nothing, the customer is told once
    orders = [r for r in request_file(world.files.files[second.key]) if isinstance(r, PaymentOrder)]
    assert [(o.payer_number, o.payment_date, o.reference) for o in orders] == [
        ("1", debit_date, "4200000000427")
    ]
    assert third.key is None and third.debits == ()
    assert len(world.mailer.calls) == 1
    assert world.ledger.invoices["inv1"].state["autogiro"]["sent"]["payment_date"] == "2026-12-04"


def test_a_debit_whose_deadline_passed_is_refused_not_moved(world: World) -> None:
    # Given an invoice told to be debited on 4 December
    approved(world)
    world.export(at(date(2026, 11, 24)))
    # When the file is written after 19:00 on the banking day before
    late = world.export(at(date(2026, 12, 3), 20))
    # Then nothing is ordered and the debit is held as refused, saying why
    assert late.key is None
    assert [(h.item_id, h.reason) for h in late.held] == [("inv1", HoldReason.DEADLINE_PASSED)]


def test_new_mandates_go_out_as_tk04_and_become_sent(world: World) -> None:
    # Given a mandate given on the page
    world.form().submit(TOKEN, GOOD)
    # When the day's file is written
    result = world.export(at(date(2026, 11, 23)))
    # Then it holds the TK04 with account and identity, and the mandate waits for Bankgirot's answer
    (record,) = request_file(world.files.files[result.key])
    assert isinstance(record, CreateMandate) and record.identity == "191212121212"
    assert result.key.startswith("autogiro/outbox/t1/BFEP.IBGLK.K0471117.D261123.T")
    assert world.mandates.items["c1"].status is MandateStatus.SENT and result.mandates == 1


# ------------------------------------------------------------------ reports


def test_a_rejected_mandate_keeps_bankgirots_reason_for_the_page(world: World) -> None:
    # Given a sent mandate
    world.form().submit(TOKEN, GOOD)
    world.export(at(date(2026, 11, 23)))
    # When Bankgirot answers 42/05 (account or personnummer wrong)
    result = world.import_report("UAGU4", mandate_notification("1", "42", "05"))
    # Then the mandate is rejected with the reason, the invoice carries it and its page is re-rendered
    assert result.mandates == {"rejected": 1}
    assert world.mandates.items["c1"].reason is not None and world.mandates.items["c1"].reason.code == "42/05"
    state = world.ledger.invoices["inv1"].state["autogiro"]["mandate"]
    assert state["status"] == "rejected" and state["reason"]["message"].startswith(
        "The account number or personal"
    )
    # And the merchant hears once that it ended, with Bankgirot's code and no account or personnummer
    world.mandates.imports.clear()  # the first import died before it was marked imported
    world.import_report("UAGU4", mandate_notification("1", "42", "05"))
    (event,) = world.mandates.streams.events("t1", "c1")
    data = MandateChanged.model_validate(event.payload)
    assert (event.event_type, event.stream, data.status, data.by) == (
        "mandate.cancelled",
        "customer#c1",
        "rejected",
        "bankgirot",
    )
    assert (data.reference, data.reason, data.invoice_id) == ("1", "42/05", "inv1")
    assert "191212121212" not in str(event.payload)


def test_an_approved_mandate_is_reported_once_however_often_the_report_comes(world: World) -> None:
    # Given a sent mandate
    world.form().submit(TOKEN, GOOD)
    world.export(at(date(2026, 11, 23)))
    # When Bankgirot approves it, and the same report is imported again (the first import died before
    # it was marked imported)
    world.import_report("UAGU4", mandate_notification("1", "04", "32"))
    world.mandates.imports.clear()
    world.import_report("UAGU4", mandate_notification("1", "04", "32"))
    # Then it is approved, and the merchant hears mandate.approved once
    assert world.mandates.items["c1"].status is MandateStatus.APPROVED
    (event,) = world.mandates.streams.events("t1", "c1")
    assert (event.event_type, event.seq, event.payload["method"]) == ("mandate.approved", 1, "autogiro")
    MandateChanged.model_validate(event.payload)


def test_a_settled_debit_is_one_payment_and_a_repeated_file_changes_nothing(world: World) -> None:
    # Given an approved mandate and the invoice's debit ordered
    approved(world)
    stored = world.ledger.invoices["inv1"]
    spec = payment_specification("1", stored.amount_due, "4200000000427", "0", "20261204")
    # When the payment specification is imported twice
    first = world.import_report("UAGAG.1", spec)
    again = world.import_report("UAGAG.2", spec)
    # Then one PaymentSucceeded keyed on invoice and payment date reaches the settlement, from bankgirot
    assert first.payments == {"settled": 1} and again.already_imported
    ((invoice_id, event, source),) = world.settle.calls
    assert isinstance(event, PaymentSucceeded) and (invoice_id, source) == ("inv1", "bankgirot")
    assert event.payment_ref == "autogiro:inv1:2026-12-04" and event.amount == stored.amount_due
    assert event.currency == "SEK" and event.occurred_at.date() == date(2026, 12, 4)


def test_a_failed_debit_records_the_reason_and_withdraws_the_debit_date(world: World) -> None:
    # Given an invoice told to be debited and ordered
    approved(world)
    world.export(at(date(2026, 11, 24)))
    world.export(at(date(2026, 11, 30)))
    stored = world.ledger.invoices["inv1"]
    # When the payment specification says there were no funds
    result = world.import_report("UAGAG", payment_specification("1", stored.amount_due, "4200000000427", "1"))
    # Then nothing is settled; the invoice records why, and no longer promises the debit date
    assert result.payments == {"failed": 1} and world.settle.calls == []
    state = world.ledger.invoices["inv1"].state["autogiro"]
    assert state["failed"]["code"] == "1" and "debit_date" not in state
    assert ("inv1", "autogiro_payment_failed", "bankgirot") in world.audit.calls
    assert autogiro_page_state(world.ledger.invoices["inv1"], date(2026, 11, 30)) == {"autopay_active": True}


def _signed(amount: int) -> str:
    """A negative amount in the amendment report's TK09 (FORMAT.md §1: the last digit as a letter)."""
    digits = str(amount).rjust(12, "0")
    return digits[:-1] + "åJKLMNOPQR"[int(digits[-1])]


def amendment_report(tk: str, payer: str, amount: int, reference: str, comment: str) -> bytes:
    day = "20261204"
    lines = [
        line((1, "01AUTOGIRO"), (25, "20261202"), (45, "MAKULERING/ÄNDRING"), (65, "471117"), (71, BG)),
        line((1, tk), (3, day), (11, payer.rjust(16, "0")), (27, "82"), (29, str(amount).rjust(12, "0")),
             (41, "REFERENS"), (49, "00000000"), (57, reference.rjust(16, "0")), (73, comment)),
        line((1, "09"), (3, "20261202"), (11, "9900"), (29, "0" * 12), (41, "000000"), (47, "000001"),
             (53, "0000"), (57, _signed(amount)), (69, "0" * 12)),
    ]  # fmt: skip
    return "\r\n".join(lines).encode("latin-1")


def test_a_debit_the_payer_stopped_at_their_bank_is_a_failed_debit(world: World) -> None:
    # Given an invoice whose debit was ordered for 4 December
    approved(world)
    world.export(at(date(2026, 11, 24)))
    world.export(at(date(2026, 11, 30)))
    stored = world.ledger.invoices["inv1"]
    # When the amendment report says the payer's bank cancelled it (TK11, comment 12)
    world.import_report("UAGMA", amendment_report("11", "1", stored.amount_due, "4200000000427", "12"))
    # Then the debit date is no longer promised, the attempt failed (the reminder flow takes over), audited
    state = world.ledger.invoices["inv1"].state["autogiro"]
    assert state["failed"]["kind"] == "cancelled" and "debit_date" not in state and "sent" not in state
    assert state["attempts"][-1]["outcome"] == "failed" and world.settle.calls == []
    assert ("inv1", "autogiro_payment_cancelled", "bankgirot") in world.audit.calls


def test_a_cancelled_debit_of_an_invoice_already_paid_is_only_written_down(world: World) -> None:
    approved(world)
    world.export(at(date(2026, 11, 24)))
    world.export(at(date(2026, 11, 30)))
    stored = world.ledger.invoices["inv1"]
    world.ledger.invoices["inv1"] = replace(stored, status="paid", amount_due=0)
    world.import_report("UAGMA", amendment_report("23", "1", stored.amount_due, "4200000000427", "12"))
    assert "failed" not in world.ledger.invoices["inv1"].state["autogiro"]
    assert ("inv1", "autogiro_payment_cancelled", "bankgirot") in world.audit.calls


def test_payments_of_unknown_payers_and_unreadable_files_are_reported_not_guessed(world: World) -> None:
    # When a report names a payer we do not know
    unknown = world.import_report("UAGAG", payment_specification("99", 100, "1", "0"))
    # Then it is counted as unmatched and nothing is settled
    assert unknown.unmatched == 1 and world.settle.calls == []
    # When a file cannot be read, Then the error names the line's field
    with pytest.raises(PermanentError) as refused:
        world.import_report("broken", b"73 not a report\r\n")
    assert refused.value.field


# ------------------------------------------------------------------ the page


def test_the_page_links_to_the_form_and_shows_the_debit_date_or_what_went_wrong() -> None:
    base = stored_invoice()
    # Given an invoice with a debit date, and one whose debit failed
    scheduled = replace(
        base, state={"autogiro": {"mandate": {"status": "approved"}, "debit_date": "2026-12-04"}}
    )
    failed = replace(
        base, state={"autogiro": {"failed": {"code": "1", "sv": "Täckning saknades.", "en": "No funds."}}}
    )
    # Then the first says the date and shows no notice; the second no date and the reason
    assert autogiro_page_links(base, TENANT, "https://api.test") == {
        "autopay_url": f"https://api.test/v1/pages/{TOKEN}/autogiro"
    }
    assert autogiro_page_links(base, a_tenant(), "https://api.test") == {}
    assert autogiro_page_state(scheduled, date(2026, 11, 30)) == {
        "autopay_active": True,
        "debit_date": date(2026, 12, 4),
    }
    assert autogiro_page_state(scheduled, date(2026, 12, 5)) == {"autopay_active": True}
    assert autogiro_page_notice(scheduled) is None
    assert autogiro_page_notice(failed) == AutogiroNotice(
        AutogiroNoticeKind.FAILED, "Täckning saknades.", "No funds."
    )
    assert autogiro_page_notice(replace(failed, status="paid")) is None


def test_a_retry_the_reminder_flow_asks_for_gets_a_new_date_with_full_notice(world: World) -> None:
    # Given a debit that failed for lack of funds
    approved(world)
    world.export(at(date(2026, 11, 24)))
    world.export(at(date(2026, 11, 30)))
    amount = world.ledger.invoices["inv1"].amount_due
    world.import_report("UAGAG", payment_specification("1", amount, "4200000000427", "1", "20261204"))
    # When the file is written before the reminder flow asks for a retry, Then nothing happens
    assert world.export(at(date(2026, 12, 7))).announced == ()
    # When the reminder flow records a retry (billing.services.dunning) and the file is written
    stored = world.ledger.invoices["inv1"]
    retries = {"retries": [{"attempt": 2, "requested_on": "2026-12-08", "idempotency_key": "k"}]}
    world.ledger.invoices["inv1"] = replace(stored, state={**stored.state, "dunning": retries})
    retry = world.export(at(date(2026, 12, 8)))
    # Then a new debit date is told with 8 banking days' notice, and later ordered as attempt 2
    ((_, new_date),) = retry.announced
    assert banking_days_between(date(2026, 12, 8), new_date) == 8
    state = world.ledger.invoices["inv1"].state["autogiro"]
    assert "failed" not in state and state["debit_date"] == new_date.isoformat()
    ordered = world.export(at(previous_banking_day(new_date), 8))
    assert ordered.debits == (("inv1", new_date),)
    attempts = world.ledger.invoices["inv1"].state["autogiro"]["attempts"]
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "failed"), (2, "pending")]


def test_two_files_written_in_the_same_second_never_overwrite_each_other(world: World) -> None:
    # Given a file written at 09:00 with one mandate
    world.form().submit(TOKEN, GOOD)
    first = world.export(at(date(2026, 11, 23)))
    # When another mandate is given and a second file is written at the very same moment
    world.ledger.invoices["inv2"] = replace(
        stored_invoice("inv2"),
        page_token="tok_second_0123456789",
        invoice=invoice(invoice_id="inv2", customer_id="c2"),
    )
    world.form().submit("tok_second_0123456789", GOOD)
    second = world.export(at(date(2026, 11, 23)))
    # Then both files are kept, each with its own mandate
    assert second.key == first.key + ".2"
    assert [r.payer_number for r in request_file(world.files.files[first.key])] == ["1"]
    assert [r.payer_number for r in request_file(world.files.files[second.key])] == ["2"]


def test_a_report_for_another_bankgiro_is_refused_before_anything_changes(world: World) -> None:
    # Given an approved mandate and a payment specification addressed to another payee bankgiro
    approved(world)
    amount = world.ledger.invoices["inv1"].amount_due
    report = payment_specification("1", amount, "4200000000427", "0").replace(BG.encode(), b"0009912346")
    # When it is imported, Then it is refused by the payee field and nothing is settled
    with pytest.raises(PermanentError) as refused:
        world.import_report("UAGAG", report)
    assert refused.value.field == "payee_bankgiro" and world.settle.calls == []


def test_a_cancelled_mandate_goes_out_as_tk03_and_the_told_debit_date_is_withdrawn(world: World) -> None:
    # Given an approved mandate whose invoice was told a debit date
    approved(world)
    world.export(at(date(2026, 11, 24)))
    # When an operator cancels the mandate and the next file is written
    CancelMandate(mandates=world.mandates, audit=world.audit, clock=world.clock)("t1", "c1")
    result = world.export(at(date(2026, 11, 25)))
    # Then the file cancels it at Bankgirot, orders no debit, and the page no longer promises the date
    records = request_file(world.files.files[result.key])
    assert [type(r) for r in records] == [CancelMandateRecord] and records[0].payer_number == "1"
    assert world.mandates.items["c1"].status is MandateStatus.CANCELLED
    state = world.ledger.invoices["inv1"].state["autogiro"]
    assert "debit_date" not in state and state["mandate"]["status"] == "cancelled"
    assert ("inv1", "autogiro_debit_withdrawn", "system") in world.audit.calls
    assert world.pages.published[-1] == world.ledger.invoices["inv1"]
    # ... and a mandate cannot be cancelled twice
    with pytest.raises(PermanentError):
        CancelMandate(mandates=world.mandates, audit=world.audit, clock=world.clock)("t1", "c1")
    # The merchant heard it once, when it was asked for (no debit goes out from then on)
    (event,) = world.mandates.streams.events("t1", "c1")
    assert (event.event_type, event.payload["status"], event.payload["by"]) == (
        "mandate.cancelled",
        "cancel_pending",
        "operator",
    )
