"""Lambda: a report put into `autogiro/inbox/<tenant>/` is imported (AutogiroImportFunction).

Triggered by EventBridge's "Object Created" event of the pages bucket (a classic S3 notification
event is read too). One event is one file: mandate answers update mandates and pages, payment results
settle invoices or record why the debit failed. Importing the same file again changes nothing. A file
that cannot be read is logged with its line and field and acknowledged: retrying would not help.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.wiring import import_autogiro
from billing.services.errors import PermanentError

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def keys_of(event: dict[str, Any]) -> list[str]:
    if "detail" in event:  # EventBridge: the key as stored
        return [str(event["detail"]["object"]["key"])]
    # S3 notifications URL-encode the key (a space arrives as "+").
    return [unquote_plus(str(r["s3"]["object"]["key"])) for r in event.get("Records", [])]


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for key in keys_of(event):
        logger.append_keys(key=key)
        try:
            result = import_autogiro()(key)
        except PermanentError as exc:
            logger.error("autogiro report refused", extra={"field": exc.field, "reason": exc.reason})
            metrics.add_metric(name="AutogiroReportsRefused", unit=MetricUnit.Count, value=1)
            results.append({"key": key, "error": exc.reason, "field": exc.field})
            continue
        logger.info(
            "autogiro report imported",
            extra={"kind": result.kind, "mandates": result.mandates, "payments": result.payments},
        )
        metrics.add_metric(name="AutogiroReportsImported", unit=MetricUnit.Count, value=1)
        results.append(
            {
                "key": key,
                "kind": result.kind,
                "already_imported": result.already_imported,
                "mandates": result.mandates,
                "payments": result.payments,
                "unmatched": result.unmatched,
            }
        )
    return {"files": results}
