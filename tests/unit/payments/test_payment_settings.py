"""Tenant payment settings, the page's payment links and Checkout attempt numbering (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from billing.domain.payments import SessionRecord
from billing.services.errors import PermanentError
from billing.services.payments import (
    PaymentSettings,
    page_autopay_state,
    page_payment_links,
)
from billing.services.payments.start_payment import _attempt

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class _Invoice:
    currency = "SEK"
    due_date = date(2026, 12, 1)


class _Stored:
    """Just what the page helpers read of a StoredInvoice."""

    def __init__(
        self, state: dict[str, Any] | None = None, status: str = "open", currency: str = "SEK"
    ) -> None:
        self.page_token = "T" * 24
        self.state = state or {}
        self.status = status
        self.invoice = _Invoice()
        self.invoice.currency = currency


def test_defaults_offer_card_klarna_and_swish_in_sek_and_only_reusable_methods_for_autopay():
    settings = PaymentSettings.from_page({})
    assert settings.checkout_methods("SEK") == ["card", "klarna", "swish"]
    assert settings.checkout_methods("EUR") == ["card", "klarna"]
    assert settings.mandate_methods("EUR") == ["card", "sepa_debit", "klarna"]
    assert settings.mandate_methods("SEK") == ["card", "klarna"]
    assert settings.retry_days == (0, 3, 7)


@pytest.mark.parametrize(
    ("payments", "field"),
    [
        ({"retry_days": [1, 3]}, "page.payments.retry_days"),
        ({"retry_days": [0, 3, 3]}, "page.payments.retry_days"),
        ({"methods": "card"}, "page.payments.methods"),
        ({"methods": []}, "page.payments.methods"),
        ({"enabled": "yes"}, "page.payments.enabled"),
        ("card", "page.payments"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(payments, field):
    with pytest.raises(PermanentError) as caught:
        PaymentSettings.from_page({"payments": payments})
    assert caught.value.field == field


def test_the_page_links_to_pay_and_autopay_unless_the_tenant_turned_cards_off():
    # Given an open invoice
    stored = _Stored()
    # When the tenant takes cards
    links = page_payment_links(stored, {}, "https://api.example/")  # type: ignore[arg-type]
    # Then Pay and autopay are links to the payments API
    assert links == {
        "pay_url": f"https://api.example/v1/pages/{stored.page_token}/pay",
        "autopay_url": f"https://api.example/v1/pages/{stored.page_token}/autopay",
    }
    # And when it does not, or its settings are broken, there are no links at all
    off = page_payment_links(stored, {"payments": {"enabled": False}}, "https://api.example")  # type: ignore[arg-type]
    broken = page_payment_links(stored, {"payments": {"methods": []}}, "https://api.example")  # type: ignore[arg-type]
    assert off == broken == {"pay_url": None, "autopay_url": None}


def test_no_autopay_link_when_no_reusable_method_fits_the_currency():
    stored = _Stored()
    links = page_payment_links(stored, {"payments": {"autopay_methods": ["sepa_debit"]}}, "https://a.example")  # type: ignore[arg-type]
    assert links["pay_url"] is not None and links["autopay_url"] is None


def test_the_page_shows_the_debit_date_while_automatic_payment_will_take_the_invoice():
    active = _Stored({"stripe": {"autopay": "active"}})
    assert page_autopay_state(active, date(2026, 11, 23)) == {  # type: ignore[arg-type]
        "autopay_active": True,
        "debit_date": date(2026, 12, 1),
    }
    # Once the charge needs the customer, the page asks them to pay instead
    asked = _Stored({"stripe": {"autopay": "active", "charge": {"status": "ask_customer"}}})
    assert page_autopay_state(asked, date(2026, 12, 1)) == {"autopay_active": False, "debit_date": None}  # type: ignore[arg-type]
    # And a paid invoice has no debit date
    paid = _Stored({"stripe": {"autopay": "active"}}, status="paid")
    assert page_autopay_state(paid, date(2026, 11, 23))["debit_date"] is None  # type: ignore[arg-type]


def test_a_click_reuses_the_attempt_while_its_session_lives_and_the_amount_is_unchanged():
    previous = SessionRecord(
        attempt=2,
        session_id="cs_2",
        url="https://checkout/2",
        amount=22400,
        created_at=NOW - timedelta(hours=1),
    )
    assert _attempt(None, NOW, amount=22400) == 1
    assert _attempt(previous, NOW, amount=22400) == 2
    # A different amount (a partial payment came in) or an expiring session: the next attempt
    assert _attempt(previous, NOW, amount=12400) == 3
    assert _attempt(previous, NOW + timedelta(hours=23), amount=22400) == 3


def _policy(**fields: Any) -> dict[str, Any]:
    """A reminder policy as a tenant stores it (docs/dunning.md)."""
    return {"steps": [{"days_after_due": 5, "fee": False, "tone": "friendly"}], **fields}


@pytest.mark.parametrize(
    ("page", "schedule"),
    [
        # No schedule of its own: the reminder policy's retries, after the charge on the due date
        ({"reminders": _policy(mandate_retry_days=[3, 7])}, (0, 3, 7)),
        ({"reminders": _policy(mandate_retry_days=[2])}, (0, 2)),
        ({"reminders": _policy(mandate_retry_days=[])}, (0,)),
        # Its own schedule wins
        ({"reminders": _policy(mandate_retry_days=[3, 7]), "payments": {"retry_days": [0, 5]}}, (0, 5)),
        # No policy, or one the reminder job refuses: the default
        ({}, (0, 3, 7)),
        ({"reminders": _policy(mandate_retry_days=[7, 3])}, (0, 3, 7)),
        ({"reminders": _policy(mandate_retry_days="3,7")}, (0, 3, 7)),
    ],
)
def test_one_retry_schedule_serves_card_and_autogiro_mandates(page, schedule):
    assert PaymentSettings.from_page(page).retry_days == schedule
