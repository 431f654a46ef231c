"""`AutogiroFile`, any file the parser returns, and `to_jsonable`, plain JSON for any record."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any

from billing.domain.autogiro.records.bgmax import BgMaxFile
from billing.domain.autogiro.records.registers import (
    DigitalMandateFile,
    MandateRegisterFile,
    MonitoringRegisterFile,
)
from billing.domain.autogiro.records.reports import (
    AmendmentReportFile,
    MandateNotificationFile,
    PaymentSpecificationFile,
    RejectedPaymentsFile,
)
from billing.domain.autogiro.records.requests import RequestFile

# BankAccount lives with its validation; records re-export it for callers that build requests.

AutogiroFile = (
    RequestFile
    | PaymentSpecificationFile
    | MandateNotificationFile
    | RejectedPaymentsFile
    | AmendmentReportFile
    | DigitalMandateFile
    | MonitoringRegisterFile
    | MandateRegisterFile
    | BgMaxFile
)


def to_jsonable(value: Any) -> Any:
    """Plain JSON data for any record or file above: dataclasses become objects with a "type" key,
    dates ISO strings, enums their names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        kind = getattr(type(value), "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        tk = getattr(type(value), "tk", None)
        if isinstance(tk, str):
            out["tk"] = tk
        for f in dataclasses.fields(value):
            out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value
