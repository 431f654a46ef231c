"""Work handed to a thread pool, each call in a copy of the caller's context: a pool's threads start
from an empty one, so without it the calls would lose what the invocation set in contextvars (the
local stack's check of the function's policies, infra/local_iam.py, reads which function is running
from one)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_context(pool: Executor, work: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """`pool.map(work, items)`, in order, each call in its own copy of this thread's context (one
    context cannot be entered by two threads at once)."""
    futures = [pool.submit(contextvars.copy_context().run, work, item) for item in items]
    return [future.result() for future in futures]
