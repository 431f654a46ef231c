"""The conventions every typed part of an invoice's stored state shares, in one place: an optional value
is absent or null, a time or a day is ISO text, and a key the type does not know is kept as it was
(billing.domain.payments.invoice_record, autogiro.invoice_state, invoice_credits, bgmax.deductions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any


def text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return None if value is None else str(value)


def moment(raw: Mapping[str, Any], name: str) -> datetime | None:
    value = raw.get(name)
    return datetime.fromisoformat(str(value)) if value else None


def day(raw: Mapping[str, Any], name: str) -> date | None:
    value = raw.get(name)
    return date.fromisoformat(str(value)) if value else None


def unknown(raw: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """The keys of `raw` that are no field of the dataclass `cls`: kept in its `other`, written back."""
    known = {f.name for f in fields(cls)} - {"other"}
    return {k: v for k, v in raw.items() if k not in known}


def put(out: dict[str, Any], name: str, value: Any) -> None:
    """Write `value` under `name` only when it is set (an optional value is stored absent)."""
    if value is not None:
        out[name] = value
