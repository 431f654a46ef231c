"""`billing bgmax parse FILE`: JSON on stdout; a bad file is one line on stderr and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bgmax_examples import own_file

from billing.cli import main


def test_parse_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bgmax.txt"
    path.write_bytes(own_file())
    assert main(["bgmax", "parse", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "bgmax"
    assert data["deposits"][0]["payments"][0]["payer"]["name"] == "Kalles Plåt AB"
    assert main(["bgmax", "parse", str(path), "--compact"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == data


def test_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # Given a file whose deposit amount is one öre off, run as an operator would
    path = tmp_path / "bad.txt"
    path.write_bytes(own_file().replace(b"000000000000120000SEK", b"000000000000120001SEK"))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from billing.cli import main; sys.exit(main())",
            "bgmax",
            "parse",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
        env={"PYTHONPATH": "functions", "PATH": "/usr/bin:/bin"},
    )
    # Then: exit 2, nothing on stdout, one line naming line and field on stderr
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: line 16: deposit amount (51-68): the deposit record says 120001, "
        "the payments less deductions give 120000\n"
    )


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bgmax", "parse", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err
