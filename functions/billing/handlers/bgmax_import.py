"""Lambda: a BgMax file put into `bgmax/inbox/<tenant>/` settles the invoices it pays (BgMaxImportFunction).

Triggered by EventBridge's "Object Created" event of the pages bucket (a classic S3 notification is
read too), like the Autogiro inbox beside it. One event is one file of Bankgiro Inbetalningar: each
payment settles the invoice its OCR number names, and what matches nothing goes to the unmatched list
(`billing payments unmatched`). Importing the same file again changes nothing. A file that cannot be
booked (damaged, another bankgiro, a test file in production, a deposit that differs from the one
already booked) is logged with its line and field and acknowledged: retrying would not help. A
retryable failure is raised, so Lambda tries again and the import continues where it stopped.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from billing.handlers.inbox import inbox_entry
from billing.handlers.tracing import make_tracer
from billing.wiring.bank import import_bgmax

logger = Logger()
tracer = make_tracer()
metrics = Metrics()


def _import(key: str) -> dict[str, Any]:
    result = import_bgmax()(key)
    logger.info("bgmax file imported", extra=result.to_dict())
    metrics.add_metric(name="BgMaxFilesImported", unit=MetricUnit.Count, value=1)
    if result.unmatched:
        metrics.add_metric(name="BankPaymentsUnmatched", unit=MetricUnit.Count, value=result.unmatched)
    return result.to_dict()


lambda_handler = inbox_entry(_import, "bgmax file refused", "BgMaxFilesRefused", logger, tracer, metrics)
