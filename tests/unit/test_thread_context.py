"""Work handed to a thread pool keeps the caller's contextvars (billing.adapters.thread_context), which
the pool's own threads would not: the local stack's policy check reads which function runs from one."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

from billing.adapters.thread_context import map_in_context

RUNNING: contextvars.ContextVar[str | None] = contextvars.ContextVar("running", default=None)


def test_each_call_sees_the_callers_context_in_order() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        token = RUNNING.set("IngestUsageFunction")
        try:
            seen = map_in_context(pool, lambda i: (i, RUNNING.get()), range(8))
            plain = list(pool.map(lambda i: RUNNING.get(), range(3)))
        finally:
            RUNNING.reset(token)
    assert seen == [(i, "IngestUsageFunction") for i in range(8)]
    assert plain == [None, None, None]  # what the pool's threads see without it
