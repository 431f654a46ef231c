"""Taking a pause from the exit page (billing.services.subscriptions.customer_pause over
billing.services.subscriptions.pause), with in-memory stand-ins for its ports: one press records the
pause once, counts it once and confirms it once; a retry after a failed send sends it then, never
twice; what the merchant does not allow is refused naming `months` and changes nothing; a concurrent
change loses nothing. And the exit page's view offers the pause, then shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from billing.domain.catalog import Anchor, PlanPhase, Subscription
from billing.domain.merchant_events import EventDraft
from billing.domain.page.exit import build_exit_view, with_pause
from billing.domain.pauses import PausePolicy
from billing.domain.periods import Interval
from billing.domain.scenario import parse_catalog, parse_subscription, parse_tenant_settings
from billing.services.errors import PermanentError
from billing.services.outbox.catalog import SubscriptionChanged
from billing.services.ports import AuditEvent, CustomerAccount, TenantAccount
from billing.services.subscriptions.customer_pause import CustomerPause
from billing.services.subscriptions.documents import SubscriptionConflict, to_document
from billing.services.subscriptions.pause import PauseSubscription
from billing.services.subscriptions.ports import PauseMailFacts, SubscriptionRecord
from infra import demo_data
from tests.fakes.claims import FakeClaims
from tests.unit.api.test_page_plan_switch import CUSTOMER
from tests.unit.outbox.fakes import MemoryCustomerStreams
from tests.unit.payments.test_payment_method_confirmation import _stored

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
TODAY = date(2026, 11, 23)
PAGE_WITH_PAUSES = {"name": "Norrsken Mobil", "pauses": {"max_months": 3, "per_year": 1}}


def _tenant(page: dict[str, Any]) -> TenantAccount:
    return TenantAccount(
        settings=parse_tenant_settings(demo_data.tenant_settings("t1")),
        catalog=parse_catalog(demo_data.CATALOG),
        page=page,
    )


@dataclass
class World:
    page: dict[str, Any] = field(default_factory=lambda: dict(PAGE_WITH_PAUSES))
    document: dict[str, Any] = field(
        default_factory=lambda: to_document(
            Subscription("sub_c1", "c1", Anchor.CALENDAR, (PlanPhase("bas", date(2026, 1, 1)),))
        )
    )
    version: int = 1
    moved_once: bool = False  # another change lands between this one's read and write
    confirmations: FakeClaims = field(default_factory=FakeClaims)
    sends: list[str] = field(default_factory=list)
    fail_sends: int = 0
    counted: list[tuple[str, str]] = field(default_factory=list)
    published: int = 0
    events: list[AuditEvent] = field(default_factory=list)
    streams: MemoryCustomerStreams = field(default_factory=MemoryCustomerStreams)

    @property
    def subscription(self) -> Subscription:
        return parse_subscription(self.document)

    # SubscriptionRecords
    def get(self, tenant_id: str, customer_id: str) -> SubscriptionRecord:
        return SubscriptionRecord(CUSTOMER, "saga@example.se", dict(self.document), self.version, None, None)

    def replace(
        self,
        tenant_id: str,
        customer_id: str,
        subscription: dict[str, Any],
        version: int,
        changed: EventDraft | None = None,
    ) -> bool:
        if self.moved_once:
            self.moved_once = False
            self.version += 1
            return False
        if version != self.version:
            return False
        self.document, self.version = subscription, version + 1
        self.streams.commit(tenant_id, customer_id, changed)  # in the same write, as the adapter does
        return True

    # Mailer
    def send(self, *, to: str, subject: str, text: str, html: str, reply_to: str | None = None) -> str:
        if self.fail_sends:
            self.fail_sends -= 1
            raise ConnectionError("SES is down")
        self.sends.append(text)
        return "m-1"

    # PauseMail
    def confirmed(self, facts: PauseMailFacts) -> tuple[str, str, str]:
        return "Paused", f"from {facts.pause.start} until {facts.pause.end}", "<p>"

    # EngagementCounts
    def add(self, tenant_id: str, month: str, name: str, value: int = 1) -> None:
        self.counted.append((month, name))


def _use_case(world: World) -> CustomerPause:
    stored = _stored()
    clock = SimpleNamespace(now=lambda: NOW)
    tenants = SimpleNamespace(get=lambda tenant_id: _tenant(world.page))

    def load(s: Any) -> tuple[TenantAccount, CustomerAccount]:
        account = CustomerAccount("t1", CUSTOMER, world.subscription, "saga@example.se", date(2026, 12, 1))
        return _tenant(world.page), account

    def publish(*args: Any) -> None:
        world.published += 1

    return CustomerPause(
        invoices=SimpleNamespace(by_page_token=lambda t: stored if t == stored.page_token else None),  # type: ignore[arg-type]
        pages=SimpleNamespace(load=load, publish=publish),  # type: ignore[arg-type]
        pause=PauseSubscription(records=world, tenants=tenants, clock=clock),  # type: ignore[arg-type]
        confirmations=world.confirmations, mailer=world, mail=world,
        audit=SimpleNamespace(append=lambda t, i, event: world.events.append(event)),  # type: ignore[arg-type]
        clock=clock,  # type: ignore[arg-type]
        pages_base_url="https://pages.example", counts=world,
    )  # fmt: skip


def test_one_press_pauses_once_counts_once_and_confirms_once() -> None:
    # Given a customer on a monthly plan whose merchant allows pauses of up to 3 months
    world = World()
    token = _stored().page_token
    # When they choose two months on November 23
    pause = _use_case(world)(token, {"months": "2"})
    # Then December and January are paused; it resumes on February 1 by itself
    assert (pause.start, pause.end) == (date(2026, 12, 1), date(2027, 2, 1))
    assert world.subscription.pauses == (pause,)
    assert world.counted == [("2026-11", "pauses")] and world.published == 1
    assert [e.action for e in world.events] == ["paused_from_page"]
    assert world.sends == ["from 2026-12-01 until 2027-02-01"]
    # When the same press arrives again (a double click, a browser retry)
    assert _use_case(world)(token, {"months": "2"}) == pause
    # Then nothing more is recorded, counted or sent
    assert len(world.subscription.pauses) == 1 and world.version == 2
    assert len(world.counted) == 1 and len(world.sends) == 1 and world.published == 1
    # And the merchant hears of the pause once, on the customer's stream, in the catalog's shape
    (event,) = world.streams.events("t1", "c1")
    assert (event.event_type, event.seq, event.stream) == ("subscription.changed", 1, "customer#c1")
    data = SubscriptionChanged.model_validate(event.payload)
    assert (data.change, data.effective_date, data.plan, data.version) == ("paused", "2026-12-01", "bas", 2)
    assert [(p.start, p.end) for p in data.pauses] == [("2026-12-01", "2027-02-01")]


def test_a_failed_send_is_sent_by_the_retry_and_only_then() -> None:
    world = World(fail_sends=1)
    token = _stored().page_token
    with pytest.raises(ConnectionError):
        _use_case(world)(token, {"months": "1"})
    # The pause is recorded; the email's claim was given back
    assert len(world.subscription.pauses) == 1 and world.sends == [] and world.confirmations.claims == set()
    _use_case(world)(token, {"months": "1"})
    _use_case(world)(token, {"months": "1"})
    assert len(world.sends) == 1 and len(world.counted) == 1


@pytest.mark.parametrize(
    ("page", "form", "reason"),
    [
        (PAGE_WITH_PAUSES, {"months": "4"}, "months allowed: 1, 2, 3"),
        (PAGE_WITH_PAUSES, {"months": "two"}, "1-12"),
        (PAGE_WITH_PAUSES, {"months": "²"}, "1-12"),
        (PAGE_WITH_PAUSES, {"months": "9" * 5000}, "1-12"),
        (PAGE_WITH_PAUSES, {}, "1-12"),
        ({"name": "Norrsken Mobil"}, {"months": "1"}, "cannot be paused"),
    ],
)
def test_what_the_merchant_does_not_allow_is_refused_naming_months(
    page: dict[str, Any], form: dict[str, str], reason: str
) -> None:
    world = World(page=page)
    with pytest.raises(PermanentError) as refused:
        _use_case(world)(_stored().page_token, form)
    assert refused.value.field == "months" and reason in refused.value.reason
    assert world.subscription.pauses == () and world.sends == [] and world.counted == []


def test_a_second_different_pause_is_refused_and_a_concurrent_change_is_not_overwritten() -> None:
    world = World()
    token = _stored().page_token
    _use_case(world)(token, {"months": "1"})
    with pytest.raises(PermanentError) as refused:
        _use_case(world)(token, {"months": "3"})
    assert "paused already" in refused.value.reason
    other = World(moved_once=True)
    with pytest.raises(SubscriptionConflict):
        _use_case(other)(token, {"months": "1"})
    assert other.subscription.pauses == () and other.sends == []


def test_an_unknown_link_is_not_found() -> None:
    with pytest.raises(PermanentError) as refused:
        _use_case(World())("x" * 32, {"months": "1"})
    assert refused.value.field == "token"


def test_the_exit_page_offers_the_pauses_then_shows_the_one_taken() -> None:
    world = World()
    view = build_exit_view(
        language="sv", brand="Norrsken", colour="#123456", customer_name="Saga", currency="SEK",
        page_url="https://pages.example/i/t", confirm_url="https://api.example/v1/pages/t/exit",
        end_date=date(2026, 12, 1), ended=False, last_invoice_total=0, plan_fit=None, incl_vat=True,
    )  # fmt: skip
    url = "https://api.example/v1/pages/t/pause"
    offered = with_pause(view, world.subscription, Interval.MONTHLY, TODAY, PausePolicy(2), url)
    assert offered.pause_url == url and offered.paused_from is None
    assert [(o.months, o.first_day, o.resumes_on) for o in offered.pause_options] == [
        (1, date(2026, 12, 1), date(2027, 1, 1)),
        (2, date(2026, 12, 1), date(2027, 2, 1)),
    ]
    assert with_pause(view, world.subscription, Interval.MONTHLY, TODAY, None, url).pause_options == ()
    _use_case(world)(_stored().page_token, {"months": "2"})
    shown = with_pause(view, world.subscription, Interval.MONTHLY, TODAY, PausePolicy(2), url)
    assert (shown.paused_from, shown.resumes_on, shown.pause_options) == (
        date(2026, 12, 1),
        date(2027, 2, 1),
        (),
    )
