"""The summary states how the customer pays and lets them change or stop it (issue 17)."""

from __future__ import annotations

from dataclasses import replace

from billing.adapters.renderer import JinjaRenderer
from billing.domain.page import InvoiceState
from billing.domain.page.build import build_invoice_page
from billing.domain.page.context import AutogiroNotice, AutogiroNoticeKind, PageLinks
from billing.domain.page.view import PageStatus
from tests.unit.page.builders import API, PAGE, TOKEN, context, invoice
from tests.unit.page.html import Page

BASE = f"{API}/v1/pages/{TOKEN}"
LINKS = PageLinks(
    token=TOKEN,
    page_url=PAGE,
    api_base=API,
    pay_url=f"{BASE}/pay",
    autopay_url=f"{BASE}/autogiro",
    autopay_choices=(("card", f"{BASE}/autopay"), ("autogiro", f"{BASE}/autogiro")),
)


def _page(state: InvoiceState, links: PageLinks = LINKS) -> tuple[object, Page]:
    view = build_invoice_page(invoice(), replace(context(state=state), links=links))
    return view, Page(JinjaRenderer().render_page(view))


def test_the_customer_chooses_among_the_methods_the_tenant_offers() -> None:
    _, page = _page(InvoiceState())
    links = [a for tag, a in page.tags if tag == "a" and a.get("data-testid") == "autopay-link"]
    assert [(a["data-method"], a["href"]) for a in links] == [
        ("card", f"{BASE}/autopay"),
        ("autogiro", f"{BASE}/autogiro"),
    ]


def test_the_method_in_force_is_stated_with_its_next_date_and_stop_and_change_one_step_away() -> None:
    due = invoice().due_date
    stop = f"{BASE}/autopay/stop"
    state = InvoiceState(autopay_active=True, autopay_method="autogiro", debit_date=due)
    view, page = _page(state, replace(LINKS, autopay_stop_url=stop))
    assert view.summary.status is PageStatus.DEBIT_SCHEDULED  # type: ignore[attr-defined]
    said = page.text("payment-method")
    assert "Du betalar med Autogiro från ditt bankkonto." in said
    assert "Nästa dragning: 30 november 2026." in said
    forms = [a for tag, a in page.tags if tag == "form" and a.get("data-testid") == "autopay-stop"]
    assert [f["action"] for f in forms] == [stop]
    change = [a for tag, a in page.tags if tag == "a" and a.get("data-testid") == "autopay-change"]
    assert [a["href"] for a in change] == [f"{BASE}/autopay"]  # the other method only
    # And no invitation to set up what is already set up
    assert not page.has("block-autopay")


def test_a_mandate_waiting_for_approval_asks_nothing_by_hand_and_shows_the_banks_notice() -> None:
    notice = AutogiroNotice(AutogiroNoticeKind.WAITING)
    state = InvoiceState(
        autopay_active=True, autopay_method="autogiro", autopay_pending=True, payment_notice=notice
    )
    view, page = _page(state)
    assert view.summary.status is PageStatus.AUTOPAY_PENDING  # type: ignore[attr-defined]
    assert page.has("autopay-pending") and not page.has("pay-button") and not page.has("ocr")
    assert page.text("status") == "Automatisk betalning på väg"
    assert page.text("payment-notice-text") == "Ditt Autogiro-medgivande väntar på godkännande från din bank."
