"""What every bank-file inbox handler does the same way (Autogiro reports, BgMax files): read the keys
an S3 "Object Created" event names, import each file on its own, and record a refused file (its line
and field) without retrying it, since the same bytes would be refused again. A retryable error is
raised, so Lambda runs the event again and the import continues where it stopped. `inbox_entry` is an
inbox handler's whole entry point."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from billing.handlers.lambda_entry import lambda_entry
from billing.handlers.tracing import Untraced
from billing.services.errors import PermanentError

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer


def import_each(
    event: dict[str, Any],
    import_one: Callable[[str], dict[str, Any]],
    *,
    logger: Logger,
    metrics: Metrics,
    refused: str,
    refused_metric: str,
) -> dict[str, Any]:
    """`import_one(key)` for every file of the event: its answer, or the refusal's reason and field."""
    # The event's models load pydantic: at the first file, not at every cold start's import.
    from billing.handlers.events import inbox_keys

    results: list[dict[str, Any]] = []
    for key in inbox_keys(event):
        logger.append_keys(key=key)
        try:
            results.append(import_one(key))
        except PermanentError as exc:
            logger.error(refused, extra={"field": exc.field, "reason": exc.reason})
            metrics.add_metric(name=refused_metric, unit=MetricUnit.Count, value=1)
            results.append({"key": key, "error": exc.reason, "field": exc.field})
    return {"files": results}


def inbox_entry(
    import_one: Callable[[str], dict[str, Any]],
    refused: str,
    refused_metric: str,
    logger: Logger,
    tracer: Tracer | Untraced,
    metrics: Metrics,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """An inbox's `lambda_handler`: `import_each` of the event's files, a refused one logged as
    `refused` and counted as `refused_metric`, in the handler module's logger, tracer and metrics."""

    def import_event(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
        return import_each(
            event, import_one, logger=logger, metrics=metrics, refused=refused, refused_metric=refused_metric
        )

    return lambda_entry(import_event, logger=logger, tracer=tracer, metrics=metrics)
