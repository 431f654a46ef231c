"""Any damage to a valid scenario is either still valid or a ScenarioError naming a field: never a crash."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import quote_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "scenarios"
SCENARIOS = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in sorted(EXAMPLES.glob("*.json"))}

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "NaN", "Infinity", "-1", "1e999", "2026-02-30", "2026-03-01T10:00:00", "x" * 200]),
    st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00"]),
    st.dates().map(str),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value sits (not the root)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*prefix, i))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SCENARIOS)), st.data(), junk, st.booleans())
def test_damaged_scenarios_fail_with_a_named_field(
    name: str, data: st.DataObject, value: Any, delete: bool
) -> None:
    # Given a valid example with one value replaced by junk, or removed
    scenario = copy.deepcopy(SCENARIOS[name])
    where = data.draw(st.sampled_from(paths(scenario)))
    parent = scenario
    for key in where[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    # When it is quoted, Then it works or fails with a ScenarioError that names a field
    try:
        quote_scenario(scenario)
    except ScenarioError as error:
        assert error.field and error.reason


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "1e999999999", "-0.5"])
def test_non_finite_or_negative_prices_are_refused(value: Any) -> None:
    scenario = copy.deepcopy(SCENARIOS["per_unit"])
    scenario["catalog"]["plans"][0]["charges"][1]["unit_price"] = value
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(scenario)
    assert raised.value.field == "catalog.plans[0].charges[1].unit_price"


@pytest.mark.parametrize(("field", "value"), [("amount", 10**24), ("amount", 10**100)])
def test_absurd_amounts_are_refused(field: str, value: int) -> None:
    scenario = copy.deepcopy(SCENARIOS["per_unit"])
    scenario["catalog"]["plans"][0]["charges"][0][field] = value
    with pytest.raises(ScenarioError) as raised:
        quote_scenario(scenario)
    assert raised.value.field == f"catalog.plans[0].charges[0].{field}"
