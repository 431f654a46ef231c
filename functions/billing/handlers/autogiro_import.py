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
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.inbox import import_each
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


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return import_each(
        event,
        _import,
        logger=logger,
        metrics=metrics,
        refused="autogiro report refused",
        refused_metric="AutogiroReportsRefused",
    )
