"""Shared values and helpers for the gateway ↔ stand-in tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WEBHOOK_SECRET = "whsec_integration_" + "c" * 24
API_KEY = "sk_test_integration_" + "d" * 24
FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "stripe" / "fixtures3.json"


@dataclass
class Receiver:
    """Collects what the stand-in delivers, as a webhook endpoint would receive it."""

    url: str = ""
    deliveries: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    answer: int = 200


def load_fixture_objects() -> dict[str, Any] | None:
    """Stripe's sample objects by type, or None when ../shared is not beside the repository."""
    if not FIXTURES.is_file():
        return None
    return dict(json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"])
