"""Every `billing` error is one line on stderr, never a traceback, whatever went wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BILLING = [sys.executable, "-c", "import sys; from billing.cli import main; sys.exit(main())"]


def _without_stack() -> dict[str, str]:
    # The environment of an operator's shell that has not loaded the stack's settings
    keep = ("PATH", "HOME", "PYTHONPATH", "LANG")
    return {k: v for k, v in os.environ.items() if k in keep}


@pytest.mark.parametrize(
    "argv",
    [
        ["autogiro", "export", "--tenant", "demo", "--date", "2026-11-01"],
        ["run", "status", "demo:2026-11-01"],
    ],
    ids=["autogiro-export", "run-status"],
)
def test_a_command_without_the_stacks_environment_prints_one_line(argv: list[str]) -> None:
    # When a command that needs the stack runs without its environment
    done = subprocess.run(
        [*BILLING, *argv], capture_output=True, text=True, env=_without_stack(), cwd=ROOT, timeout=60
    )
    # Then it fails with one line that says what is missing and how to get it
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: missing environment variable ") and "local_stack env" in line


def test_an_unexpected_failure_is_one_line_with_its_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from billing import cli
    from billing.cli import quote

    def broken(args: object) -> int:
        raise RuntimeError("the disk is on fire\nsecond line")

    monkeypatch.setattr(quote, "run", broken)
    # The parser is built once per process and holds each verb's function: build it again around the
    # broken one, and drop that one afterwards.
    cli.build_parser.cache_clear()
    try:
        code = cli.main(["quote", "-"])
    finally:
        cli.build_parser.cache_clear()
    err = capsys.readouterr().err
    assert code == 1 and err == "error: RuntimeError: the disk is on fire second line\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["autogiro", "export", "--tenant", "x"],
        ["run", "nosuch"],
        ["quote"],
        ["run", "now", "--date", "x"],
        ["nope"],
    ],
)
def test_a_usage_error_is_one_line_naming_the_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from billing.cli import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("error: billing") and line.endswith("--help)")
