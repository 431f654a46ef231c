"""A saved mandate as the customer's stored record, and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from billing.domain.payments import (
    CollectorAction,
    Mandate,
    MandateStatus,
)

# --------------------------------------------------------------------------------------------------
# Mandate records
# --------------------------------------------------------------------------------------------------


def with_autopay(record: Mapping[str, Any], status: str, now: datetime) -> dict[str, Any]:
    """The invoice's Stripe record marked `active` (a usable mandate will charge it on the due date) or
    `stopped`; written when a mandate is saved, and at issue for an invoice of a customer who has one."""
    return {**record, "autopay": status, "autopay_at": now.isoformat()}


def mandate_to_record(mandate: Mandate) -> dict[str, Any]:
    return {
        "customer_ref": mandate.customer_ref,
        "payment_method_ref": mandate.payment_method_ref,
        "mandate_ref": mandate.mandate_ref,
        "status": mandate.status.value,
        "activated_at": mandate.activated_at.isoformat(),
        "setup_ref": mandate.setup_ref,
    }


def mandate_from_record(record: Mapping[str, Any]) -> Mandate | None:
    raw = record.get("mandate")
    if not isinstance(raw, Mapping):
        return None
    return Mandate(
        customer_ref=str(raw["customer_ref"]),
        payment_method_ref=str(raw["payment_method_ref"]),
        mandate_ref=raw.get("mandate_ref"),
        status=MandateStatus(raw["status"]),
        activated_at=datetime.fromisoformat(str(raw["activated_at"])),
        setup_ref=str(raw["setup_ref"]),
    )


# A charge record in one of these states is done with: the collector charges it no more, and its
# webhook finds nothing left to do.
CHARGE_DONE = {
    CollectorAction.SETTLED.value,
    CollectorAction.AWAIT_WEBHOOK.value,
    CollectorAction.ASK_CUSTOMER.value,
    CollectorAction.FALL_BACK.value,
    "settled",
}
