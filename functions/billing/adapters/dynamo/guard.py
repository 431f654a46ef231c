"""The item-size guard: DynamoDB refuses a write past 400 KB with a ValidationException; this turns it
into `ItemTooLarge` (a named, permanent error) and counts it as the metric Billing/ItemTooLarge, which
the template's ItemTooLargeAlarm watches. Written as an Embedded Metric Format line on stdout, which
Lambda ships to CloudWatch Metrics without an API call, from any function."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import PynamoDBException

from billing.services.errors import ItemTooLarge

METRIC = "ItemTooLarge"
NAMESPACE = "Billing"


def is_too_large(exc: PynamoDBException) -> bool:
    message = (exc.cause_response_message or str(exc.cause or "") or "").lower()
    return exc.cause_response_code == "ValidationException" and "size" in message


def emit_too_large(what: str) -> None:
    line = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": METRIC, "Unit": "Count"}],
                }
            ],
        },
        "service": "billing",
        METRIC: 1,
        "item": what,
        "level": "ERROR",
        "message": f"item too large: {what}",
    }
    print(json.dumps(line), file=sys.stdout, flush=True)


@contextmanager
def item_size_guard(what: str) -> Iterator[None]:
    """Around one write of the item `what` (e.g. "invoice demo#inv-1")."""
    try:
        yield
    except PynamoDBException as exc:
        if is_too_large(exc):
            emit_too_large(what)
            raise ItemTooLarge(f"{what} would exceed DynamoDB's item size limit", field="item") from exc
        raise
