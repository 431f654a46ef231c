"""Builders for Stripe-shaped event dicts, as a verified webhook body decodes to.

Defaults follow the shapes of Stripe's sample objects (`stripe/fixtures3.json`); each builder takes only
the fields a test cares about.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "stripe" / "fixtures3.json"


def load_fixture_objects() -> dict[str, Any] | None:
    """Stripe's sample objects by type, or None when ../shared is not beside the repository."""
    if not FIXTURES.is_file():
        return None
    return dict(json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"])


def stripe_event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str = "evt_1",
    created: int | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(T0.timestamp()) if created is None else created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def checkout_session(
    *,
    mode: str = "payment",
    payment_status: str = "paid",
    amount_total: int | None = 12500,
    currency: str = "sek",
    invoice_id: str | None = "inv_1",
    payment_intent: str | None = "pi_1",
    status: str = "complete",
) -> dict[str, Any]:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "amount_total": amount_total,
        "client_reference_id": invoice_id,
        "currency": currency,
        "customer": None,
        "metadata": {"invoice_id": invoice_id} if invoice_id else {},
        "mode": mode,
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "setup_intent": None,
        "status": status,
    }


def payment_intent(
    *,
    status: str = "succeeded",
    amount: int = 12500,
    amount_received: int | None = None,
    currency: str = "sek",
    invoice_id: str | None = "inv_1",
    pid: str = "pi_1",
    last_payment_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": pid,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": (amount if status == "succeeded" else 0)
        if amount_received is None
        else amount_received,
        "currency": currency,
        "customer": "cus_1",
        "last_payment_error": last_payment_error,
        "metadata": {"invoice_id": invoice_id, "attempt": "1"} if invoice_id else {},
        "payment_method": "pm_1",
        "status": status,
    }
