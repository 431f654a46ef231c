"""The notice page and email as rendered: the customer's name, the reason escaped, the year's amount
with VAT said the customer's way, the choices, and the page closed from the effective date."""

from __future__ import annotations

from datetime import date

from billing.adapters.price_change_notice import notice_view, render_notice_email, render_notice_page
from billing.services.price_changes.fields import VersionSchedule
from billing.services.price_changes.ports import Notice
from billing.services.price_changes.schedule import ScheduleVersion
from tests.unit.price_changes.fakes import FakeStore, FixedClock, at


def _setup(**notice: object) -> tuple[FakeStore, object, Notice]:
    store = FakeStore()
    body = {
        "effective_date": "2027-03-01",
        "reason": "<script>alert(1)</script> Elpriset",
        "charges": [{"code": "fee", "name": "Fee", "model": "flat", "amount": 12900}],
    }
    ScheduleVersion(store, FixedClock(at("2027-01-15")))("t1", "bas", VersionSchedule.model_validate(body))
    (change,) = store.changes("t1")
    fields = {
        "tenant_id": "t1",
        "version": "bas@v2",
        "customer_id": "c1",
        "page_token": "t" * 32,
        "email": "c1@example.se",
        "from_version": "bas",
        "currency": "SEK",
        "periods": 12,
        "current": 100_000,
        "new": 131_200,
        "incl_vat": True,
        "suggestion": "plus",
        "name": "Anna Andersson",
    } | notice
    return store, change, Notice(**fields)  # type: ignore[arg-type]


def _html(store: FakeStore, change: object, notice: Notice, day: str = "2027-01-20") -> str:
    view = notice_view(store.tenant("t1"), change, notice, "https://api.example", at(day))  # type: ignore[arg-type]
    return render_notice_page(view)


def test_the_page_names_the_customer_escapes_the_reason_and_offers_three_choices() -> None:
    store, change, notice = _setup()
    html = _html(store, change, notice)
    assert "Hej Anna Andersson, priset för Bas ändras 1 mars 2027" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'data-amount="31200"' in html and "+312\xa0kr" in html
    assert "kostat med det nya priset Inkl. moms." in html
    for choice in ("accept", "switch", "leave"):
        assert f'data-testid="choice-{choice}"' in html
    assert 'action="https://api.example/v1/pages/' + "t" * 32 + '/price-change"' in html


def test_a_business_sees_excl_vat_and_no_switch_without_a_better_plan() -> None:
    store, change, notice = _setup(incl_vat=False, suggestion=None, new=90_000)
    html = _html(store, change, notice)
    assert "Exkl. moms." in html and "så mycket mindre" in html
    assert 'data-testid="choice-switch"' not in html


def test_without_history_the_page_says_so_and_from_the_effective_date_it_is_closed() -> None:
    store, change, notice = _setup(periods=0, current=0, new=0, choice="leave")
    html = _html(store, change, notice, day="2027-03-01")
    assert 'data-testid="no-history"' in html and 'data-testid="closed"' in html
    assert 'data-testid="choice-accept"' not in html and 'data-choice="leave"' in html


def test_the_email_links_the_page() -> None:
    store, change, notice = _setup()
    view = notice_view(store.tenant("t1"), change, notice, "https://api.example", at("2027-01-20"))  # type: ignore[arg-type]
    mail = render_notice_email(view, "https://pages.example/i/" + "t" * 32)
    assert mail.subject == "Molnbolaget i Sverige AB: nytt pris för Bas från 1 mars 2027"
    assert "https://pages.example/i/" + "t" * 32 in mail.text and "+312" in mail.text
    assert date(2027, 3, 1) == view.effective_date
