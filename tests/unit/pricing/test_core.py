"""The pricing core: flat fee in advance, per-unit usage in arrears, VAT, öresavrundning, JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pricing_builders import event, flat, lines_of, plan, scenario, usage

from billing.domain.invoice import Invoice
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import quote_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


def test_flat_fee_is_billed_in_advance_and_usage_in_arrears() -> None:
    # Given a plan with a 199 kr fee and API calls at 0.5 öre, and three calls in February
    data = scenario(
        plan(flat(amount=19900), usage("calls", "per_unit", aggregation="count", unit_price="0.5")),
        events=[event(i, f"2026-02-0{i}T12:00:00+01:00") for i in range(1, 4)],
    )
    # When the March invoice is computed
    result = quote_scenario(data)
    # Then the fee covers March, the calls cover February, 1.5 öre rounds half up to 2
    fee, calls = result["lines"]
    assert fee["period"] == {"start": "2026-03-01", "end": "2026-04-01"} and fee["amount"] == 19900
    assert calls["period"] == {"start": "2026-02-01", "end": "2026-03-01"}
    assert (calls["quantity"], calls["unit_price"], calls["amount"]) == ("3", "0.5", 2)
    # And VAT is 25 % of 199.02 = 49.755 -> 49.76, total 248.78 rounded to 249 kr
    assert result["vat"] == [{"rate": "25", "base": 19902, "vat": 4976}]
    assert (result["rounding"], result["total"]) == (22, 24900)
    assert result["due_date"] == "2026-03-31"


def test_eur_totals_are_not_rounded_to_whole_units() -> None:
    # Given the same plan priced in euro
    eur_plan = plan(flat(amount=1999))
    eur_plan["currency"] = "EUR"
    # When the invoice is computed
    result = quote_scenario(scenario(eur_plan))
    # Then there is no rounding line: 19.99 + 5.00 (25 % of 19.99 = 4.9975 -> 5.00)
    assert (result["vat_total"], result["rounding"], result["total"]) == (500, 0, 2499)


def test_events_at_local_midnight_belong_to_the_local_day() -> None:
    # Given calls at the exact edges of February in Stockholm time
    data = scenario(
        plan(usage("calls", "per_unit", aggregation="count", unit_price="100")),
        events=[
            event(1, "2026-01-31T23:00:00Z"),  # 00:00 Feb 1 local: inside
            event(2, "2026-01-31T22:59:59Z"),  # 23:59:59 Jan 31 local: outside
            event(3, "2026-02-28T23:00:00Z"),  # 00:00 Mar 1 local: outside
        ],
    )
    # When the March invoice is computed
    result = quote_scenario(data)
    # Then only the first counts
    assert lines_of(result, "usage")[0]["quantity"] == "1"


def test_invoice_round_trips_through_json_exactly() -> None:
    # Given a computed invoice with a number
    data = scenario(
        plan(flat(amount=19900), usage("calls", "per_unit", aggregation="count", unit_price="0.5")),
        events=[event(1, "2026-02-03T12:00:00+01:00")],
        number=7,
    )
    document = quote_scenario(data)
    # When it is stored as JSON and read back
    invoice = Invoice.from_dict(json.loads(json.dumps(document)))
    # Then nothing changed
    assert invoice.to_dict() == document
    assert invoice.number == "F000007" and invoice.ocr is not None


def test_invoice_id_is_deterministic_per_tenant_customer_period_and_kind() -> None:
    # Given the same scenario twice and once for another period
    first = quote_scenario(scenario())
    again = quote_scenario(scenario())
    other = quote_scenario(scenario(period_start="2026-04-01"))
    # Then the ids agree exactly when the period agrees
    assert first["invoice_id"] == again["invoice_id"] != other["invoice_id"]
    assert first["invoice_id"].startswith("inv_") and first["number"] is None


def _first_charge(data: dict[str, Any]) -> dict[str, Any]:
    charge: dict[str, Any] = data["catalog"]["plans"][0]["charges"][0]
    return charge


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["tenant"].pop("vat_number"), "tenant.vat_number"),
        (
            lambda d: d["catalog"]["plans"][0]["charges"][0].update(amount="12.5"),
            "catalog.plans[0].charges[0].amount",
        ),
        (
            lambda d: d["catalog"]["plans"][0]["charges"][0].update(model="bogus"),
            "catalog.plans[0].charges[0].model",
        ),
        (lambda d: d["customer"].update(timezone="Mars/Olympus"), "customer.timezone"),
        (lambda d: d["subscription"]["phases"][0].update(plan="nope"), "subscription.phases[0].plan"),
        (lambda d: d.update(period_start="March"), "period_start"),
        (lambda d: d.update(events=[event(1, "2026-02-01T12:00:00")]), "events[0].timestamp"),
        (lambda d: d.update(events=[event(1, "2026-02-01T12:00:00Z", value=1.5)]), "events[0].value"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: _first_charge(d).update(tiers=[]), "catalog.plans[0].charges[0].tiers"),
        (lambda d: _first_charge(d).update(min_amount=100), "catalog.plans[0].charges[0].min_amount"),
        (lambda d: _first_charge(d).update(group=5), "catalog.plans[0].charges[0].group"),
        (
            lambda d: d["catalog"]["plans"][0].update(charges=[usage("u", "graduated", tiers=[])]),
            "catalog.plans[0].charges[0].tiers",
        ),
        (
            lambda d: d["catalog"]["plans"][0].update(
                charges=[
                    usage("u", "volume", tiers=[{"up_to": 5, "unit_price": 1}, {"up_to": 5, "unit_price": 1}])
                ]
            ),
            "catalog.plans[0].charges[0].tiers[1].up_to",
        ),
        (
            lambda d: d["catalog"]["plans"][0].update(
                charges=[usage("u", "per_unit", aggregation="unique_count", unit_price=1)]
            ),
            "catalog.plans[0].charges[0].field",
        ),
        (
            lambda d: d["catalog"]["plans"][0].update(charges=[usage("u", "per_unit")]),
            "catalog.plans[0].charges[0].unit_price",
        ),
        (
            lambda d: d["catalog"]["plans"][0].update(
                charges=[usage("u", "package", package_price=1, package_size=0)]
            ),
            "catalog.plans[0].charges[0].package_size",
        ),
        (lambda d: d["subscription"].update(end_date="2025-12-01"), "subscription.end_date"),
        (
            lambda d: d.update(coupons=[{"code": "X", "kind": "percentage", "percent": "120"}]),
            "coupons[0].percent",
        ),
        (
            lambda d: d.update(events=[{**event(1, "2026-02-01T12:00:00Z"), "customer_id": "c2"}]),
            "events[0].customer_id",
        ),
    ],
)
def test_bad_input_names_the_field(change, field) -> None:  # type: ignore[no-untyped-def]
    # Given a valid scenario with one thing wrong
    data = scenario()
    change(data)
    # When it is quoted, Then the error names the field
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(data)
    assert raised.value.field == field


def test_invoice_read_back_from_dynamodb_numbers_is_the_same() -> None:
    # Given an invoice document whose numbers came back from DynamoDB as Decimal
    from decimal import Decimal

    document = quote_scenario(scenario())
    document["extra"] = {"credit_note_sequence": 2}
    as_stored = json.loads(json.dumps(document), parse_int=Decimal)
    # When it is read back, Then it is the same document with ints
    assert Invoice.from_dict(as_stored).to_dict() == document


def test_compare_plans_reprices_the_usage_period_on_other_plans() -> None:
    # Given February usage of 1000 calls and two plans to compare
    small = plan(
        flat(amount=10000), usage("calls", "per_unit", aggregation="sum", unit_price="100"), code="small"
    )
    big = plan(flat(amount=50000), usage("calls", "per_unit", aggregation="sum", unit_price="10"), code="big")
    data = scenario(
        small, big, events=[event(1, "2026-02-03T12:00:00+01:00", value=1000)], compare_plans=["small", "big"]
    )
    # When quoted, Then each plan's cost of February (excl. VAT, full-period fees) is given
    result = quote_scenario(data)
    assert result["extra"]["plan_fit"] == {"small": 110000, "big": 60000}
    assert result["extra"]["plan_fit_period"] == {"start": "2026-02-01", "end": "2026-03-01"}


def test_plan_fit_prices_usage_across_a_vat_change_as_the_invoice_rounds_it() -> None:
    # Given food boxes at 3.333 kr (12 %, 6 % from 1 April) on periods from the 15th, and usage
    # of 15 March - 14 April on both sides of the change: 1 box before it, 2 after
    charges = [
        flat(amount=31001, vat_category="food"),
        usage("boxes", "per_unit", aggregation="count", unit_price="333.3", vat_category="food"),
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
        compare_plans=["p"],
    )
    data["catalog"]["vat_rates"] = {
        "food": [{"from": "2024-01-01", "rate": "12"}, {"from": "2026-04-01", "rate": "6"}]
    }
    data["subscription"]["anchor"] = "anniversary"
    # When quoted
    result = quote_scenario(data)
    usage_lines = [x["amount"] for x in result["lines"] if x["kind"] == "usage"]
    # Then the invoice splits 999.9 öre of boxes 333 + 667 by where they were used
    assert usage_lines == [333, 667]
    # And plan fit's price of the same usage on the same plan is the full fee plus those lines:
    # priced once over the period, its rounded amount is what the split adds up to
    assert result["extra"]["plan_fit"] == {"p": 31001 + 333 + 667}
