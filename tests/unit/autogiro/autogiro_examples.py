"""Where Bankgirot's Autogiro example files live, for the Autogiro unit tests.

They are read from the shared folder beside the project, never copied into it; a test that needs
them is skipped, with the reason, when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# tests/unit/autogiro/<this file> -> parents[3] is the repository root; ../shared sits beside it.
SHARED_AUTOGIRO = Path(__file__).resolve().parents[3].parent / "shared" / "autogiro"
EXAMPLES = SHARED_AUTOGIRO / "examples"


def examples_dir() -> Path:
    if not EXAMPLES.is_dir():
        pytest.skip(f"Bankgirot's example files are not beside the project ({EXAMPLES})")
    return EXAMPLES


def read_example(name: str) -> bytes:
    path = examples_dir() / name
    if not path.is_file():
        pytest.skip(f"example file {name} is missing from {path.parent}")
    return path.read_bytes()
