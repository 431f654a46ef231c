"""A saved mandate as the customer's stored record, and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from billing.domain.payments import Mandate, MandateStatus

# --------------------------------------------------------------------------------------------------
# Mandate records
# --------------------------------------------------------------------------------------------------


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
