"""Lambda: a report put into `autogiro/inbox/<tenant>/` is imported (AutogiroImportFunction).

Triggered by EventBridge's "Object Created" event of the pages bucket (a classic S3 notification
event is read too). One event is one file: mandate answers update mandates and pages, payment results
settle invoices or record why the debit failed. Importing the same file again changes nothing. A file
that cannot be read is logged with its line and field and acknowledged: retrying would not help.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.inbox import inbox_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.core import import_autogiro

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


def _import(key: str) -> dict[str, Any]:
    result = import_autogiro()(key)
    logger.info(
        "autogiro report imported",
        extra={"kind": result.kind, "mandates": result.mandates, "payments": result.payments},
    )
    metrics.add_metric(name="AutogiroReportsImported", unit=MetricUnit.Count, value=1)
    return {
        "key": key,
        "kind": result.kind,
        "already_imported": result.already_imported,
        "mandates": result.mandates,
        "payments": result.payments,
        "unmatched": result.unmatched,
    }


lambda_handler = inbox_entry(
    _import, "autogiro report refused", "AutogiroReportsRefused", logger, tracer, metrics
)
