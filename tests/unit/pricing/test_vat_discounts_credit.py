"""VAT by date and per rate, reverse charge, coupons, commitment, balance, credit notes, one-off invoices."""

from __future__ import annotations

from typing import Any

import pytest
from pricing_builders import event, flat, lines_of, plan, scenario, usage

from billing.domain.credit import credit_note
from billing.domain.invoice import Invoice
from billing.domain.pricing_errors import CreditError, ScenarioError
from billing.domain.scenario import quote_scenario

FOOD = {"food": [{"from": "2024-01-01", "rate": "12"}, {"from": "2026-04-01", "rate": "6"}]}


def test_a_period_crossing_a_vat_change_bills_each_part_at_its_rate() -> None:
    # Given food boxes (12 %, 6 % from 1 April) on anniversary periods from the 15th, 310 kr a period
    charges = [
        flat(amount=31000, vat_category="food"),
        usage("boxes", "per_unit", aggregation="count", unit_price="1000", vat_category="food"),
    ]
    data = scenario(
        plan(*charges),
        events=[
            event(1, "2026-03-20T10:00:00+01:00"),
            event(2, "2026-04-02T10:00:00+02:00"),
            event(3, "2026-04-10T10:00:00+02:00"),
        ],
        phases=[{"plan": "p", "start": "2026-01-15"}],
        period_start="2026-04-15",
    )
    data["catalog"]["vat_rates"] = FOOD
    data["subscription"]["anchor"] = "anniversary"
    # When the period from 15 April is invoiced (its usage period is 15 March - 14 April)
    result = quote_scenario(data)
    fee, *usage_lines = result["lines"]
    assert (fee["vat_rate"], fee["amount"]) == ("6", 31000)
    # Then the 3 boxes split by where they were used: 1 at 12 %, 2 at 6 %
    assert [(x["vat_rate"], x["quantity"], x["amount"]) for x in usage_lines] == [
        ("12", "1", 1000),
        ("6", "2", 2000),
    ]
    # And VAT is summed per rate: 12 % of 10 kr, 6 % of 330 kr
    assert result["vat"] == [
        {"rate": "12", "base": 1000, "vat": 120},
        {"rate": "6", "base": 33000, "vat": 1980},
    ]


def test_a_fee_crossing_a_vat_change_is_split_by_days() -> None:
    # Given a monthly anniversary fee for 15 March - 14 April, 310 kr, food category
    data = scenario(
        plan(flat(amount=31000, vat_category="food")),
        phases=[{"plan": "p", "start": "2026-01-15"}],
        period_start="2026-03-20",
    )
    data["catalog"]["vat_rates"] = FOOD
    data["subscription"]["anchor"] = "anniversary"
    result = quote_scenario(data)
    # Then 17 of 31 days at 12 % and 14 of 31 days at 6 %
    assert [(x["vat_rate"], x["amount"], x["proration"]) for x in result["lines"]] == [
        ("12", 17000, "17 of 31 days"),
        ("6", 14000, "14 of 31 days"),
    ]
    assert [v["vat"] for v in result["vat"]] == [2040, 840]


def test_reverse_charge_for_an_eu_business_customer() -> None:
    data = scenario(plan(flat(amount=10000)))
    data["customer"].update(country="DE", is_business=True, vat_number="DE123456789")
    result = quote_scenario(data)
    assert result["reverse_charge"] is True
    assert result["vat"] == [{"rate": "0", "base": 10000, "vat": 0}]
    assert any("Reverse charge" in note for note in result["notes"])


def test_no_reverse_charge_for_a_swedish_business_or_an_eu_consumer() -> None:
    swedish = scenario(plan(flat(amount=10000)))
    swedish["customer"].update(is_business=True, vat_number="SE556000000001")
    consumer = scenario(plan(flat(amount=10000)))
    consumer["customer"].update(country="DE")
    assert quote_scenario(swedish)["vat_total"] == quote_scenario(consumer)["vat_total"] == 2500


def test_percentage_coupon_splits_across_vat_rates() -> None:
    # Given 100 kr at 25 % and 50 kr at 6 %, and 10 % off the invoice
    data = scenario(
        plan(flat("a", 10000, vat_rate="25"), flat("b", 5000, vat_rate="6")),
        coupons=[{"code": "TEN", "kind": "percentage", "percent": "10", "duration": "forever"}],
    )
    result = quote_scenario(data)
    discounts = lines_of(result, "discount")
    # Then one discount line per rate, in proportion: -10 kr at 25 %, -5 kr at 6 %
    assert [(x["vat_rate"], x["amount"]) for x in discounts] == [("25", -1000), ("6", -500)]
    assert result["vat"] == [
        {"rate": "25", "base": 9000, "vat": 2250},
        {"rate": "6", "base": 4500, "vat": 270},
    ]


def test_fixed_coupon_on_one_charge_never_exceeds_it() -> None:
    data = scenario(
        plan(flat("a", 10000), flat("b", 3000)),
        coupons=[{"code": "B", "kind": "fixed", "amount": 5000, "charge": "b"}],
    )
    (discount,) = lines_of(quote_scenario(data), "discount")
    assert discount["amount"] == -3000


def test_used_up_coupons_do_not_apply() -> None:
    data = scenario(
        plan(flat(amount=10000)),
        coupons=[
            {"code": "ONCE", "kind": "fixed", "amount": 100, "duration": "once", "times_applied": 1},
            {
                "code": "THREE",
                "kind": "fixed",
                "amount": 100,
                "duration": "repeating",
                "periods": 3,
                "times_applied": 3,
            },
            {
                "code": "AGAIN",
                "kind": "fixed",
                "amount": 100,
                "duration": "repeating",
                "periods": 3,
                "times_applied": 2,
            },
        ],
    )
    assert [x["description"] for x in lines_of(quote_scenario(data), "discount")] == ["Discount: AGAIN"]


def test_minimum_commitment_tops_up_the_previous_period() -> None:
    # Given a 100 kr fee, February usage of 50 kr and a commitment of 500 kr a month
    data = scenario(
        plan(
            flat(amount=10000),
            usage("c", "per_unit", aggregation="count", unit_price="5000"),
            minimum_commitment=50000,
        ),
        events=[event(1, "2026-02-03T10:00:00+01:00")],
    )
    (true_up,) = lines_of(quote_scenario(data), "commitment")
    # Then February is topped up by 500 - 100 - 50 = 350 kr
    assert (true_up["amount"], true_up["period"]["start"]) == (35000, "2026-02-01")


def test_balance_is_applied_but_never_below_zero() -> None:
    small = quote_scenario(scenario(plan(flat(amount=10000)), balance=2000))
    large = quote_scenario(scenario(plan(flat(amount=10000)), balance=99999))
    assert (small["total"], small["balance_applied"], small["amount_due"]) == (12500, 2000, 10500)
    assert (large["balance_applied"], large["amount_due"]) == (12500, 0)


def test_negative_balance_is_rejected() -> None:
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(scenario(balance=-1))
    assert raised.value.field == "balance"


# --- credit notes -------------------------------------------------------------------------------------


def an_invoice() -> Invoice:
    data = scenario(plan(flat("a", 10001, vat_rate="25"), flat("b", 3333, vat_rate="12")))
    return Invoice.from_dict(quote_scenario(data))


def test_full_credit_note_is_the_exact_negative() -> None:
    invoice = an_invoice()
    note = credit_note(invoice, issue_date=invoice.issue_date)
    assert (note.subtotal, note.vat_total, note.rounding, note.total) == (
        -invoice.subtotal,
        -invoice.vat_total,
        -invoice.rounding,
        -invoice.total,
    )
    assert note.credited_invoice_id == invoice.invoice_id and note.kind == "credit_note"
    assert note.invoice_id != invoice.invoice_id


def test_partial_credits_never_exceed_the_invoice() -> None:
    invoice = an_invoice()
    first = credit_note(invoice, issue_date=invoice.issue_date, amounts={"1": 5000})
    second = credit_note(
        invoice, issue_date=invoice.issue_date, amounts={"1": 5001, "2": 3333}, previous=[first]
    )
    # Then the two notes together credit exactly the invoice
    assert first.subtotal + second.subtotal == -invoice.subtotal
    assert first.vat_total + second.vat_total == -invoice.vat_total
    assert first.total + second.total == -invoice.total
    # And nothing more can be credited
    with pytest.raises(CreditError) as raised:
        credit_note(invoice, issue_date=invoice.issue_date, amounts={"2": 1}, previous=[first, second])
    assert raised.value.field == "amounts.2"
    with pytest.raises(CreditError):
        credit_note(invoice, issue_date=invoice.issue_date, previous=[first, second])


def test_credit_more_than_a_line_is_refused() -> None:
    invoice = an_invoice()
    with pytest.raises(CreditError) as raised:
        credit_note(invoice, issue_date=invoice.issue_date, amounts={"2": 3334})
    assert "3333" in raised.value.reason


def test_credit_note_scenario_names_the_failing_field() -> None:
    data: dict[str, Any] = scenario(
        plan(flat(amount=10000)),
        action="credit_note",
        credit_notes=[{"issue_date": "2026-03-05", "lines": {"9": 1}}],
    )
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(data)
    assert raised.value.field == "credit_notes[0].lines.9"


def test_one_off_invoice() -> None:
    data = scenario(
        action="one_off",
        one_off={
            "reference": "workshop-1",
            "issue_date": "2026-03-05",
            "items": [
                {"description": "Workshop", "quantity": "2.5", "unit": "h", "unit_price": "120000"},
                {"description": "Book", "quantity": 1, "unit_price": "29900", "vat_rate": "6"},
            ],
        },
    )
    result = quote_scenario(data)
    assert [x["amount"] for x in result["lines"]] == [300000, 29900]
    assert result["vat"] == [
        {"rate": "25", "base": 300000, "vat": 75000},
        {"rate": "6", "base": 29900, "vat": 1794},
    ]
    assert (result["total"], result["rounding"], result["due_date"]) == (406694 - 94 + 100, 6, "2026-04-04")


def test_business_outside_the_eu_pays_no_swedish_vat() -> None:
    data = scenario(plan(flat(amount=10000)))
    data["customer"].update(country="NO", is_business=True)
    result = quote_scenario(data)
    assert (result["vat_treatment"], result["reverse_charge"], result["vat_total"]) == (
        "outside_eu",
        False,
        0,
    )
    assert any("outside the EU" in note for note in result["notes"])


def test_a_coupon_on_a_capped_charge_discounts_what_the_charge_costs() -> None:
    # Given a charge of 200 kr capped at 100 kr, and 10 % off that charge
    charge = usage("gb", "per_unit", unit_price="100", max_amount=10000)
    data = scenario(
        plan(charge),
        events=[event(1, "2026-02-03T10:00:00+01:00", value=200)],
        coupons=[{"code": "TEN", "kind": "percentage", "percent": "10", "charge": "gb"}],
    )
    # Then the discount is 10 % of the capped 100 kr, not of 200 kr
    result = quote_scenario(data)
    assert [x["amount"] for x in result["lines"]] == [20000, -10000, -1000]


def test_a_one_off_invoice_cannot_be_negative() -> None:
    data = scenario(
        action="one_off",
        one_off={
            "reference": "x",
            "issue_date": "2026-03-05",
            "items": [{"description": "Refund", "unit_price": "-100"}],
        },
    )
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(data)
    assert raised.value.field == "one_off.items"
