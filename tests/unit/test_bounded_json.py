"""The one bounded JSON reader of every boundary (billing.domain.bounded_json)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.domain.bounded_json import JsonTooDeep, loads_bounded, nested_deeper_than


def test_nesting_past_the_limit_is_refused_before_the_parser_recurses():
    # Deeper than Python's recursion limit: json.loads alone would raise RecursionError here.
    with pytest.raises(JsonTooDeep):
        loads_bounded("[" * 100_000 + "]" * 100_000, max_depth=32)
    assert loads_bounded("[" * 32 + "]" * 32, max_depth=32) is not None


def test_brackets_inside_strings_and_escaped_quotes_do_not_count():
    assert not nested_deeper_than('{"a": "[[[[[[\\"{{{{"}', 2)
    assert nested_deeper_than('{"a": "\\"", "b": [[]]}', 2)


def test_the_callers_number_rules_apply_and_bad_text_is_a_value_error():
    assert loads_bounded('{"v": 0.1}', max_depth=4, parse_float=Decimal) == {"v": Decimal("0.1")}
    with pytest.raises(ValueError):
        loads_bounded("{", max_depth=4)
