"""Where Bankgirot's BgMax example files live, and test files of our own.

Bankgirot's files are read from the shared folder beside the project, never copied into it; a test
that needs them is skipped, with the reason, when the folder is absent. `own_file()` writes a file
with every record type through the writer, so the parser tests never depend on the shared folder.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.domain.bgmax.writer import bgmax_file, deposit, payment, write_bgmax

# tests/unit/bgmax/<this file> -> parents[3] is the repository root; ../shared sits beside it.
SHARED_BGMAX = Path(__file__).resolve().parents[3].parent / "shared" / "bgmax"
EXAMPLES = SHARED_BGMAX / "examples"
PUBLISHED = EXAMPLES / "as-published"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def example_paths() -> list[Path]:
    if not EXAMPLES.is_dir():
        pytest.skip(f"Bankgirot's BgMax example files are not beside the project ({EXAMPLES})")
    return sorted(EXAMPLES.glob("*.txt"))


def own_file() -> bytes:
    """Two deposits with payments, a deduction, TK22/TK23 with amounts, messages, names, orgnr."""
    first = deposit(
        "991-2346",
        [
            payment(
                10000,
                "1234566",
                channel="1",
                payer_bankgiro="3783511",
                name="Kalles Plåt AB",
                organisation_number="5500001234",
            ),
            payment(
                60000,
                "65896,65862",
                code="3",
                channel="2",
                extra=[("65896", 0), ("65862", 0)],
                message=["Betalning för två fakturor åäö", "rad två"],
            ),
            payment(20000, "4321", code="2", channel="2", deduction=True, deduction_code="1"),
            payment(
                70000,
                "",
                code="0",
                channel="3",
                extra=[("348505", 40000), ("47852", 20000, "2", True), ("583161", 50000, "5")],
            ),
        ],
        on=date(2026, 11, 25),
        serial=7,
    )
    second = deposit("991-2346", [payment(15000, "", code="1", channel="3")], on=date(2026, 11, 26), serial=8)
    return write_bgmax(
        bgmax_file([first, second], written_at=datetime(2026, 11, 26, 17, 30, 35, 10331, tzinfo=STOCKHOLM))
    )
