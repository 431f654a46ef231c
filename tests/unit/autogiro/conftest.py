"""Shared fixtures for the Autogiro unit tests: where Bankgirot's example files live."""

from __future__ import annotations

from pathlib import Path

import pytest

# tests/unit/autogiro/conftest.py -> parents[3] is the repository root; ../shared sits beside it.
SHARED_AUTOGIRO = Path(__file__).resolve().parents[3].parent / "shared" / "autogiro"
EXAMPLES = SHARED_AUTOGIRO / "examples"


@pytest.fixture
def examples() -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"Bankgirot's example files are not beside the project ({EXAMPLES})")
    return EXAMPLES


def read_example(examples: Path, name: str) -> bytes:
    path = examples / name
    if not path.is_file():
        pytest.skip(f"example file {name} is missing from {examples}")
    return path.read_bytes()
