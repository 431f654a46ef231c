"""`billing autogiro parse FILE`: JSON of the typed records on stdout; errors on stderr, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from autogiro_examples import examples_dir

from billing.cli import main


def test_parse_prints_the_records_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    # Given Bankgirot's rejected-payments example
    path = examples_dir() / "autogiro_exempelfilavvisade_betalningsuppdrag_sv.txt"

    # When it is parsed on the command line with outcomes
    code = main(["autogiro", "parse", str(path), "--outcomes"])

    # Then the JSON names the report, holds the typed records and their outcomes
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "rejected_payments"
    payments = data["sections"][0]["payments"]
    assert len(payments) == 8
    assert payments[0]["type"] == "RejectedPayment"
    assert payments[0]["amount_ore"] == 7500
    assert payments[3]["reference"] == "RIDLEKTION ÅTERB"
    assert data["outcomes"]["payments"][0]["kind"] == "REJECTED"


def test_parse_error_names_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a mandate notification whose TK09 count is wrong
    bad = tmp_path / "medavi.txt"
    bad.write_bytes(
        b"01AUTOGIRO              20260115            AG-MEDAVI           1234560058056201\r\n"
        b"7300580562010000000000001234                                 043220260115\r\n"
        b"092026011599000000002\r\n"
    )

    # When it is parsed on the command line
    code = main(["autogiro", "parse", str(bad)])

    # Then it exits 2 with the line and the field on stderr, and nothing on stdout
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.strip() == (
        "error: line 3: TK09 record count (15-21): control total says 2, the records give 1"
    )


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["autogiro", "parse", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err
