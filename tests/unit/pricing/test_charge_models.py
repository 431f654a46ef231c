"""Worked examples for every charge model: zero usage, exact tier boundaries, fractions, huge quantities."""

from __future__ import annotations

from typing import Any

import pytest
from pricing_builders import event, lines_of, plan, scenario, usage

from billing.domain.scenario import quote_scenario

TIERS = [
    {"up_to": 1000, "unit_price": "0"},
    {"up_to": 10000, "unit_price": "2"},
    {"up_to": None, "unit_price": "1", "flat_fee": 5000},
]


def usage_lines(charge: dict[str, Any], values: list[Any]) -> list[dict[str, Any]]:
    """Quote March for a plan of one usage charge with one February event per value."""
    events = [event(i, f"2026-02-10T12:00:{i:02d}+01:00", value=v) for i, v in enumerate(values)]
    return lines_of(quote_scenario(scenario(plan(charge), events=events)))


def amounts(lines: list[dict[str, Any]]) -> list[int]:
    return [x["amount"] for x in lines]


# --- per unit -----------------------------------------------------------------------------------------


def test_per_unit_with_zero_usage_still_shows_a_zero_line() -> None:
    # Given no events, When quoted, Then one line of quantity 0 and amount 0
    (line,) = usage_lines(usage("gb", "per_unit", unit_price="150", unit="GB"), [])
    assert (line["quantity"], line["amount"], line["unit"]) == ("0", 0, "GB")


def test_per_unit_with_fractional_quantity_rounds_the_amount_once() -> None:
    # Given 2.345 GB at 150 öre/GB = 351.75 öre
    (line,) = usage_lines(usage("gb", "per_unit", unit_price="150"), ["2.345"])
    # Then the amount is rounded half up once: 352
    assert (line["quantity"], line["amount"]) == ("2.345", 352)


def test_per_unit_with_a_very_large_quantity_is_exact() -> None:
    # Given 10^20 units at 0.001 öre (one hundred quadrillion öre)
    (line,) = usage_lines(usage("x", "per_unit", unit_price="0.001"), [str(10**20)])
    # Then nothing is lost to floating point or the decimal context
    assert line["amount"] == 10**17
    assert line["quantity"] == "100000000000000000000"


# --- graduated ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("0", [0]),
        ("1000", [0]),  # exactly on the first bound: all free
        ("1001", [0, 2]),
        ("10000", [0, 18000]),  # exactly on the second bound
        ("10001", [0, 18000, 5001]),  # third tier: 1 unit x 1 + flat 5000
        ("25000", [0, 18000, 20000]),
        ("1000.5", [0, 1]),  # half a unit at 2 öre
    ],
)
def test_graduated_prices_each_tier_separately(quantity: str, expected: list[int]) -> None:
    # Given the tiers 1–1000 free, 1001–10000 at 2 öre, above at 1 öre plus 50 kr
    # When `quantity` units are used, Then each tier reached gets its own line
    assert amounts(usage_lines(usage("calls", "graduated", tiers=TIERS), [quantity])) == expected


def test_graduated_lines_name_their_tier() -> None:
    lines = usage_lines(usage("calls", "graduated", tiers=TIERS), ["20000"])
    assert [x["description"] for x in lines] == ["Calls (1–1000)", "Calls (1001–10000)", "Calls (10001+)"]
    assert [x["quantity"] for x in lines] == ["1000", "9000", "10000"]


# --- volume -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("0", 0),
        ("1000", 0),  # on the bound: still the first tier
        ("1001", 2002),  # every unit at 2 öre
        ("10000", 20000),
        ("10001", 15001),  # every unit at 1 öre plus the tier's 50 kr
    ],
)
def test_volume_prices_every_unit_at_the_tier_reached(quantity: str, expected: int) -> None:
    (line,) = usage_lines(usage("calls", "volume", tiers=TIERS), [quantity])
    assert line["amount"] == expected


def test_volume_and_graduated_agree_on_a_single_tier() -> None:
    tier = [{"up_to": None, "unit_price": "3.5", "flat_fee": 100}]
    graduated = usage_lines(usage("c", "graduated", tiers=tier), ["77"])
    volume = usage_lines(usage("c", "volume", tiers=tier), ["77"])
    assert amounts(graduated) == amounts(volume) == [370]  # 77 x 3.5 = 269.5 + 100 = 369.5 -> 370


# --- package ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "blocks"),
    [("0", 0), ("500", 0), ("501", 1), ("1500", 1), ("1500.01", 2), ("2500", 2)],
)
def test_package_bills_started_blocks_after_free_units(quantity: str, blocks: int) -> None:
    # Given blocks of 1000 GB at 99 kr after 500 free GB
    charge = usage("gb", "package", package_size=1000, package_price=9900, free_units=500, unit="GB")
    (line,) = usage_lines(charge, [quantity])
    # Then the line counts started blocks
    assert (line["quantity"], line["amount"]) == (str(blocks), blocks * 9900)
    assert line["unit"] == "blocks of 1000 GB"


# --- percentage ---------------------------------------------------------------------------------------


def test_percentage_with_fixed_fee_and_per_event_limits() -> None:
    # Given 2.9 % + 1.80 kr per payment, at least 3 kr and at most 100 kr per payment
    charge = usage(
        "fees",
        "percentage",
        metric="m",
        percentage="2.9",
        fixed_fee="180",
        min_per_event="300",
        max_per_event="10000",
        unit="payments",
    )
    # And payments of 50 kr, 1 kr and 10 000 kr (amounts in öre)
    lines = usage_lines(charge, [5000, 100, 1000000])
    # Then: 2.9 % of 10 051 kr = 29 147.90 öre -> 29148; 3 x 1.80 = 540;
    # per payment: 325 ok, 182.9 -> 300 (+117.1), 29180 -> 10000 (-19180): net -19062.9 -> -19063
    assert amounts(lines) == [29148, 540, -19063]
    base, fixed, _limits = lines
    assert (base["quantity"], base["unit"], base["unit_price"]) == ("10051", "SEK", "2.9")
    assert (fixed["quantity"], fixed["unit_price"]) == ("3", "180")
    # And the exact per-payment sum is 325 + 300 + 10000 = 10625 öre (29148 + 540 - 19063)
    assert sum(amounts(lines)) == 10625


def test_percentage_with_no_events_is_zero() -> None:
    lines = usage_lines(usage("fees", "percentage", percentage="2.9"), [])
    assert amounts(lines) == [0]


# --- min and max per charge ---------------------------------------------------------------------------


def test_charge_minimum_adds_an_adjustment_line() -> None:
    charge = usage("gb", "per_unit", unit_price="100", min_amount=5000)
    lines = usage_lines(charge, ["3"])
    assert [(x["kind"], x["amount"]) for x in lines] == [("usage", 300), ("adjustment", 4700)]


def test_charge_maximum_caps_the_charge() -> None:
    charge = usage("gb", "graduated", tiers=TIERS, max_amount=10000)
    lines = usage_lines(charge, ["20000"])
    assert sum(amounts(lines)) == 10000 and lines[-1]["kind"] == "adjustment"


@pytest.mark.parametrize(
    ("charge", "expected"),
    [
        # 10^18 units: 1000 free, 9000 at 2 öre, the rest at 1 öre plus 50 kr
        (usage("calls", "graduated", tiers=TIERS), [0, 18000, 10**18 - 10000 + 5000]),
        (usage("calls", "volume", tiers=TIERS), [10**18 + 5000]),
        (usage("gb", "package", package_size=1000, package_price=9900), [10**15 * 9900]),
        (usage("fees", "percentage", percentage="2.5"), [25 * 10**15]),
    ],
    ids=["graduated", "volume", "package", "percentage"],
)
def test_very_large_quantities_are_exact_in_every_model(charge: dict[str, Any], expected: list[int]) -> None:
    assert amounts(usage_lines(charge, [str(10**18)])) == expected
