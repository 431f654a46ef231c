"""JSON from outside, read within bounds: the one rule every boundary (usage ingestion, the Stripe
webhook, the merchant API) uses so that no body can exhaust the parser's recursion or Python's
int-conversion limit and come back as a 500.

Nesting is measured on the text before `json.loads` sees it (a body of 10,000 nested lists would
exhaust the C decoder's recursion), and what a number may be is the caller's choice through the
usual `parse_int` / `parse_float` hooks, because a usage value and a Stripe amount are refused in
different words and at different fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class JsonTooDeep(ValueError):
    """Brackets nest deeper than the caller allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def nested_deeper_than(text: str, limit: int) -> bool:
    """True when brackets nest deeper than `limit`, counted outside strings: a linear scan, no
    recursion, so it is safe on any input."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def loads_bounded(
    text: str,
    *,
    max_depth: int,
    parse_int: Callable[[str], Any] = int,
    parse_float: Callable[[str], Any] = float,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """`json.loads` that raises `JsonTooDeep` instead of recursing past `max_depth`, and otherwise
    raises what `json.loads` (or the caller's hooks) raise: `ValueError` for text that is no JSON."""
    if nested_deeper_than(text, max_depth):
        raise JsonTooDeep(max_depth)
    return json.loads(text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)
