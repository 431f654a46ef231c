"""One module's change of an invoice's state never overwrites another's (adapters/dynamo/invoice_state):
a writer that lost the race reads again and applies its change again; a change with nothing to write
writes nothing; a missing invoice is said, not created."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from billing.adapters.dynamo.invoice_state import change_state
from billing.adapters.dynamo.models import InvoiceModel
from billing.wiring.core import bind_tables

pytestmark = pytest.mark.integration


def _invoice(tenant_id: str, state: dict[str, Any]) -> str:
    bind_tables()
    InvoiceModel(
        tenant_id,
        "inv-1",
        customer_id="c1",
        customer_key=f"{tenant_id}#c1",
        period_start="2026-11-01",
        period_end="2026-11-30",
        number="NM-1",
        sequence=1,
        page_token="p" * 32,
        status="open",
        due_date="2026-12-31",
        currency="SEK",
        total=10000,
        amount_due=10000,
        document={"lines": []},
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        state=state,
    ).save()
    return "inv-1"


def test_a_writer_that_lost_the_race_applies_its_change_to_what_won(local_env, tenant_id) -> None:
    invoice_id = _invoice(tenant_id, {"payments": {"amount_paid": 0}})
    calls = 0

    def autogiro(state: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            # Another module writes between this writer's read and its write
            won = change_state(
                tenant_id, invoice_id, lambda s: {**s, "dunning": {"level": 1}}, what="the dunning step"
            )
            assert won is not None and won.written
        return {**state, "autogiro": {"debit_date": "2026-12-28"}}

    changed = change_state(tenant_id, invoice_id, autogiro, what="the Autogiro state")
    # Then the change was applied twice, the second time over the winner's state, and both survive
    assert calls == 2 and changed is not None and changed.written
    stored = InvoiceModel.get(tenant_id, invoice_id, consistent_read=True)
    assert stored.state == {
        "payments": {"amount_paid": 0},
        "dunning": {"level": 1},
        "autogiro": {"debit_date": "2026-12-28"},
    }
    assert stored.version == 3  # created at 1, then one write each


def test_nothing_to_write_writes_nothing_and_no_invoice_is_said(local_env, tenant_id) -> None:
    invoice_id = _invoice(tenant_id, {"delivery": {"status": "sent"}})
    unchanged = change_state(tenant_id, invoice_id, lambda state: None, what="a mark already there")
    assert unchanged is not None and not unchanged.written
    assert unchanged.state == {"delivery": {"status": "sent"}}
    assert InvoiceModel.get(tenant_id, invoice_id, consistent_read=True).version == 1
    assert change_state(tenant_id, "no-such-invoice", lambda s: {**s, "x": 1}, what="anything") is None
    with pytest.raises(InvoiceModel.DoesNotExist):
        InvoiceModel.get(tenant_id, "no-such-invoice")
