"""Traces never carry personal data (issue 20, docs/privacy.md): every handler's tracer decorator is
told not to record the response or the error, which carry names, personnummer and page content. Read
from the source, so a new handler that forgets it fails here, not in an X-Ray console."""

from __future__ import annotations

import re
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "functions" / "billing" / "handlers"
DECORATOR = re.compile(r"@tracer\.(capture_lambda_handler|capture_method)\b(\([^)]*\))?")


def problems(source: str, name: str) -> list[str]:
    found = []
    for match in DECORATOR.finditer(source):
        args = match.group(2) or ""
        if "capture_response=False" not in args or "capture_error=False" not in args:
            found.append(f"{name}: {match.group(0)}")
    return found


def test_no_handler_records_responses_or_errors_in_traces() -> None:
    found = [p for f in sorted(HANDLERS.glob("*.py")) for p in problems(f.read_text(), f.name)]
    assert found == []


def test_the_check_sees_a_bare_decorator() -> None:
    assert problems("@tracer.capture_lambda_handler\ndef h(): ...", "x.py")
    assert problems("@tracer.capture_method(capture_response=False)\ndef h(): ...", "x.py")
    assert not problems(
        "@tracer.capture_lambda_handler(capture_response=False, capture_error=False)\n", "x.py"
    )
