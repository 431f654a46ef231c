"""Every amount a line, unit price, change, saving or offer shows: incl. VAT for a consumer, excl. VAT
for a business, on every kind of page, in the email and in the PDF (billing.domain.page.prices)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from billing.adapters.renderer import JinjaRenderer, format_money, format_unit_price, locale_for
from billing.domain.page import History, InvoiceState
from billing.domain.page.build import build_invoice_page
from billing.domain.page.view import InvoicePageView
from tests.unit.page.builders import CUSTOMER, rich_context
from tests.unit.page.html import Page
from tests.unit.page.pdfs import pdf_text, spaced

SV = locale_for("sv", "SE")
BUSINESS = replace(CUSTOMER, is_business=True, org_number="556677-8899")


def _kinds() -> dict[str, tuple[object, object]]:
    inv, ctx = rich_context()
    due = inv.due_date
    return {
        "unpaid": (inv, ctx),
        "paid": (inv, replace(ctx, state=replace(ctx.state, amount_paid=inv.total, paid_on=due))),
        "overdue": (inv, replace(ctx, today=date.fromordinal(due.toordinal() + 10))),
        "debit": (inv, replace(ctx, state=replace(ctx.state, debit_date=due, autopay_active=True))),
        "first": (inv, replace(ctx, history=History(invoice_count=1))),
        "reverse-charge-free": (inv, replace(ctx, state=InvoiceState())),
    }


def _gross(amount: int, rate: str) -> int:
    scaled = Decimal(amount) * (100 + Decimal(rate)) / 100
    return int(scaled.to_integral_value(rounding="ROUND_HALF_UP"))


@pytest.mark.parametrize("kind", list(_kinds()))
@pytest.mark.parametrize("business", [False, True])
def test_every_amount_shown_is_incl_vat_for_a_consumer_and_excl_for_a_business(
    kind: str, business: bool
) -> None:
    inv, ctx = _kinds()[kind]
    ctx = replace(ctx, customer=BUSINESS if business else CUSTOMER)  # type: ignore[type-var]
    view: InvoicePageView = build_invoice_page(inv, ctx)  # type: ignore[arg-type]
    renderer = JinjaRenderer()
    page = Page(renderer.render_page(view))
    pdf = pdf_text(renderer.render_pdf(view))
    assert view.prices_incl_vat is (not business)
    # Each line: the page's amount and unit price are the invoice's, with VAT for the consumer
    shown_amounts = page.texts["line-amount"]
    lines = [x for g in view.groups for x in g.shown_lines]
    assert len(shown_amounts) == len(lines)
    for line, text in zip(lines, shown_amounts, strict=True):
        expected = line.amount if business else _gross(line.amount, line.vat_rate)
        assert line.shown_amount == expected
        assert text == format_money(expected, "SEK", SV)
        assert spaced(format_money(expected, "SEK", SV)) in pdf
        price = line.unit_price if business else line.unit_price * (100 + Decimal(line.vat_rate)) / 100
        assert format_unit_price(price, "SEK", SV) in page.text("block-lines")
    head = "Belopp exkl. moms" if business else "Belopp inkl. moms"
    assert head in page.text("block-lines") and head in pdf
    # Changes since last time, the plan-fit saving and an offer's plan price, the same way
    if view.changes:
        assert ("exkl. moms" if business else "inkl. moms") in page.text("block-changes")
    if view.plan_fit and view.plan_fit.suggested:
        fit = view.plan_fit
        saving = fit.saving_per_year if business else fit.shown_saving_per_year
        assert fit.shown_saving_per_year >= fit.saving_per_year
        assert format_money(saving, "SEK", SV) in page.text("plan-fit-advice")
        assert ("exkl. moms" if business else "inkl. moms") in page.text("plan-fit-advice")
    for offer in view.offers:
        if offer.monthly_price is not None:
            assert offer.incl_vat is (not business)
    # The VAT summary and the total stay as the invoice states them, for both
    assert page.text("total") == format_money(inv.total, "SEK", SV)  # type: ignore[attr-defined]
    # And the email states the amount to pay, the total incl. VAT, for both
    email = renderer.render_email(view)
    if view.summary.payable:
        assert format_money(view.summary.amount_due, "SEK", SV) in email.text
