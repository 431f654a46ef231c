"""Each handler's tracer: Powertools' X-Ray tracer when tracing is on, else one that imports nothing.

Powertools' `Tracer()` imports the X-Ray SDK (about 0.4 s of a cold start, and its patches) even when
tracing is disabled, because even then it wraps every handler in a dummy subsegment. Where tracing is
off (POWERTOOLS_TRACE_DISABLED, or outside Lambda: the local stack, the CLI, tests) a handler gets
`Untraced`, whose decorators return the function itself. Tracing on, the decorators are Powertools'
own with the arguments each handler gives (never the response or the error: docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from billing.settings import tracing_enabled

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])


class Untraced:
    """The tracer's decorators and calls, doing nothing: tracing is off for this process."""

    def capture_lambda_handler(self, lambda_handler: F | None = None, **_options: Any) -> Any:
        return lambda_handler if lambda_handler is not None else _unchanged

    def capture_method(self, method: F | None = None, **_options: Any) -> Any:
        return method if method is not None else _unchanged

    def put_annotation(self, key: str, value: object) -> None:
        del key, value

    def put_metadata(self, key: str, value: object, namespace: str | None = None) -> None:
        del key, value, namespace


def _unchanged(function: F) -> F:
    return function


def make_tracer() -> Tracer | Untraced:
    """The tracer for a handler module, decided once at import (a cold start)."""
    if not tracing_enabled():
        return Untraced()
    from aws_lambda_powertools import Tracer

    return Tracer()
