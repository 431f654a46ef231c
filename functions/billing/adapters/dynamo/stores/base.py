"""What every DynamoDB store shares: one connection per process, the backoff, the index keys."""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from pynamodb.connection import Connection

PAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")
DUE_BUCKETS = 16  # see template.yaml: spreads one tenant's due index over 16 partitions
NUMBER_RACE_ATTEMPTS = 50
RUN_TTL = timedelta(days=400)


@cache
def connection() -> Connection:
    # One connection (one botocore client) per process: creating a client costs ~0.3 s of CPU,
    # more than the whole transaction it would send.
    return Connection()


def backoff(attempt: int) -> None:
    # Full jitter: workers that lost a race on the counter spread out instead of colliding again.
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))


def due_bucket(tenant_id: str, customer_id: str) -> str:
    shard = int(hashlib.sha256(customer_id.encode()).hexdigest()[:8], 16) % DUE_BUCKETS
    return f"{tenant_id}#{shard:02d}"


def customer_key(tenant_id: str, customer_id: str) -> str:
    return f"{tenant_id}#{customer_id}"


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
