"""The relief form page (GET /v1/pages/{token}/relief) is worded from the catalogs in the invoice's
language: the choices with their consequences, the split options with their amounts, a refusal."""

from __future__ import annotations

from datetime import date

from billing.adapters.dunning_page import render_relief_page
from billing.domain.scenario import parse_catalog, parse_tenant_settings
from billing.services.dunning.page import relief_choice
from billing.services.dunning.ports import ReliefFormPage
from billing.services.dunning.state import policy_of
from billing.services.ports import StoredInvoice, TenantAccount
from infra import demo_data
from tests.unit.page.builders import invoice
from tests.unit.page.html import Page

NBSP = "\xa0"
TENANT = TenantAccount(
    settings=parse_tenant_settings(demo_data.tenant_settings("t1")),
    catalog=parse_catalog(demo_data.CATALOG),
    page={"name": "Norrsken Mobil"},
)


def _page(language: str, *, status: str = "open", error: str | None = None) -> Page:
    inv = invoice(language=language)  # 323 kr, due 30 November 2026
    stored = StoredInvoice(invoice=inv, page_token="t" * 32, status=status, amount_due=inv.amount_due)
    today = date(2026, 11, 25)
    choice = relief_choice(stored, policy_of(TENANT), today) if status == "open" else None
    html = render_relief_page(
        ReliefFormPage(stored, TENANT, today, choice, "https://p/i/x", "https://a", error)
    )
    return Page(html)


def test_the_swedish_relief_page_offers_both_choices_with_their_consequences() -> None:
    # Given an open invoice near its due date, under the default policy; When its relief page renders
    page = _page("sv")
    # Then both choices are there in Swedish, the split options with their amounts
    move = page.text("relief-move")
    assert move.startswith("Flytta förfallodagen Välj en ny förfallodag, senast ")
    assert "Förfallodag" in move and "Förfallodatum" not in move  # the form's own word (msgctxt)
    split = page.text("relief-split")
    assert split.startswith(f"Dela upp i delbetalningar Dela upp 323{NBSP}kr i 2 till 3 delar, en i månaden.")
    assert f"3 delar: 107,68{NBSP}kr och sedan 107,66{NBSP}kr i månaden" in split


def test_a_refusal_is_said_in_english_with_its_reason() -> None:
    page = _page("en", error="the date is too late")
    assert page.text("relief-error") == "That did not work: the date is too late"


def test_a_paid_invoice_offers_nothing() -> None:
    page = _page("en", status="paid")
    assert not page.has("relief-move") and not page.has("relief-split")
    assert not page.has("relief-error")


def test_the_english_page_words_the_split_options_in_english() -> None:
    split = _page("en").text("relief-split")
    assert split.startswith(f"Split into instalments Split 323{NBSP}kr into 2 to 3 parts, one a month.")
    assert f"2 parts: 161,50{NBSP}kr, then 161,50{NBSP}kr a month" in split
