"""Between the API's fields and the stored record: one mapping each way, shared by every verb."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import parse_customer
from billing.services.customers.fields import CustomerFields, CustomerView
from billing.services.customers.ports import CustomerRecord
from billing.services.errors import PermanentError

# The profile keys the domain's Customer reads (billing.domain.scenario.parse_customer).
_PROFILE_FIELDS = (
    "name address country language timezone vat_number is_business org_number reference email".split()
)


def new_customer_id() -> str:
    return "cus_" + secrets.token_hex(10)


def to_record(
    customer_id: str, fields: CustomerFields, created_at: datetime, now: datetime, has_subscription: bool
) -> CustomerRecord:
    data = fields.model_dump()
    profile: dict[str, Any] = {"id": customer_id} | {k: data[k] for k in _PROFILE_FIELDS}
    try:
        parse_customer(profile)  # what the billing run will read must parse
    except ScenarioError as error:
        raise PermanentError(error.reason, field=error.field.removeprefix("customer.")) from None
    return CustomerRecord(
        customer_id=customer_id,
        profile=profile,
        email=fields.email,
        personal_number=fields.personal_number,
        created_at=created_at,
        updated_at=now,
        has_subscription=has_subscription,
    )


def to_fields(record: CustomerRecord) -> dict[str, Any]:
    """The record as the fields it was made from (what an update starts from)."""
    profile = record.profile
    data = {k: profile.get(k) for k in _PROFILE_FIELDS if k != "email"}
    data["address"] = list(profile.get("address") or [])
    return data | {"email": record.email, "personal_number": record.personal_number}


def to_view(record: CustomerRecord) -> CustomerView:
    fields = to_fields(record)
    number = fields.pop("personal_number")
    return CustomerView(
        id=record.customer_id,
        **fields,
        personal_number=f"{number[:8]}-****" if number else None,
        has_subscription=record.has_subscription,
        created_at=record.created_at.isoformat(),
        updated_at=record.updated_at.isoformat(),
    )
