"""Every scenario in examples/scenarios quotes without error and reaches the figures its `expected` states.

The expected figures were worked out by hand (each file's description shows the arithmetic). A key is a
dotted path into the output; a name after a list maps over it ("lines.amount": every line's amount).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from billing.cli import main
from billing.domain.scenario import quote_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "scenarios"
FILES = sorted(EXAMPLES.glob("*.json"))


def resolve(document: Any, path: str) -> Any:
    value = document
    for part in path.split("."):
        if isinstance(value, list):
            value = [item[part] for item in value]
        else:
            value = value[part]
    return value


def test_there_is_an_example_per_charge_model_and_feature() -> None:
    names = {f.stem for f in FILES}
    required = {
        "per_unit",
        "graduated",
        "volume",
        "package",
        "percentage",
        "aggregations",
        "vat_change_fee",
        "vat_change_usage",
        "proration_start",
        "proration_both_ends",
        "coupons",
        "credit_note",
        "sek_rounding",
    }
    assert required <= names


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_example_reaches_its_expected_figures(path: Path) -> None:
    # Given a worked example with the figures a spreadsheet reaches
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = data["expected"]
    assert expected, f"{path.name} states no expected figures"
    # When it is quoted
    result = quote_scenario(data)
    # Then every stated figure is reached
    for key, value in expected.items():
        assert resolve(result, key) == value, key


@pytest.mark.parametrize("path", FILES[:3], ids=[f.stem for f in FILES[:3]])
def test_billing_quote_prints_the_same_json(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an example, When `billing quote` runs on it
    code = main(["quote", str(path)])
    # Then it exits 0 and prints what the engine computes
    assert code == 0
    assert json.loads(capsys.readouterr().out) == quote_scenario(json.loads(path.read_text(encoding="utf-8")))


def test_billing_quote_names_the_bad_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an example with a tier bound that is not a number
    data = json.loads((EXAMPLES / "graduated.json").read_text(encoding="utf-8"))
    data["catalog"]["plans"][0]["charges"][1]["tiers"][1]["up_to"] = "lots"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    # When quoted, Then the error names the field and the exit code is 2
    assert main(["quote", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: catalog.plans[0].charges[1].tiers[1].up_to: not a decimal number")


def test_billing_quote_rejects_a_file_that_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["quote", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: scenario: not JSON")


def test_billing_quote_table_shows_lines_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the coupons example, When printed as a table
    assert main(["quote", "--table", str(EXAMPLES / "coupons.json")]) == 0
    out = capsys.readouterr().out
    # Then every line and the totals are there in kronor, as a spreadsheet shows them
    assert "Discount: Welcome 20 % (25 % VAT)" in out and "-39.80" in out
    assert out.splitlines()[-2].split() == ["total", "220.00"]
    assert "VAT 6 % on 79.20" in out
