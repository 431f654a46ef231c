"""Usage input an attacker (or a buggy meter) sends: every identifier, number and timestamp outside the
documented limits (docs/usage.md, "Limits") is refused naming its field, before anything is stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.bounded_json import nested_deeper_than
from billing.domain.usage import bad_value
from billing.services.ingest_usage import MAX_JSON_DEPTH, parse_json_integer
from tests.unit.usage.test_ingest_usage import FakeLedger, _account, _event, _use_case

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def too_deep(text: str) -> bool:
    return nested_deeper_than(text, MAX_JSON_DEPTH)


def _result(raw: dict[str, Any]) -> tuple[str, str | None, str | None, FakeLedger]:
    ledger = FakeLedger()
    ingest = _use_case(NOW, _account("c1", date(2026, 12, 1)), ledger=ledger)
    (result,) = ingest("t1", [raw]).results
    return result.status, result.reason, result.field, ledger


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (_event("e1", NOW, customer="c" * 1025), "customer_id"),
        (_event("e1", NOW) | {"metric": "m" * 2000}, "metric"),
        (_event("e1\ud800", NOW), "id"),
        (_event("e1", NOW, customer="c1\udfff"), "customer_id"),
        (_event("e1", NOW, properties={"k": "v" * 300}), "properties.k"),
        (_event("e1", NOW, properties={f"k{n}": "v" for n in range(21)}), "properties"),
        (_event("e1", NOW, value="-0"), "value"),
        (_event("e1", NOW, value="-0.0"), "value"),
        (_event("e1", NOW, value="1e-999999999"), "value"),
        (_event("e1", NOW, value="0E-999999999"), "value"),
        (_event("e1", NOW, value=Decimal("9" * 5000)), "value"),
        (_event("e1", datetime(1970, 1, 1, tzinfo=UTC)), "timestamp"),
        (_event("e1", NOW - timedelta(days=401)), "timestamp"),
    ],
    ids=[
        "customer-id-1025",
        "metric-2000",
        "lone-surrogate-id",
        "lone-surrogate-customer",
        "long-property",
        "many-properties",
        "minus-zero",
        "minus-zero-decimal",
        "tiny-exponent",
        "zero-tiny-exponent",
        "5000-digits",
        "1970",
        "401-days-old",
    ],
)
def test_out_of_limits_input_is_refused_naming_the_field_and_nothing_is_stored(raw, field):
    status, _, refused_field, ledger = _result(raw)
    assert (status, refused_field) == ("rejected", field)
    assert ledger.stored == []


def test_values_at_the_limits_are_accepted():
    for value in ("0", "0.000001", "999999999999999", "1E+3", "2.500000"):
        status, _, _, _ = _result(_event(f"e-{value}", NOW, value=value))
        assert status == "accepted", value
    assert _result(_event("old-but-fine", NOW - timedelta(days=399)))[0] == "accepted"


def test_number_rules():
    assert bad_value(Decimal("1e-999999999")) and bad_value(Decimal("-0")) and bad_value(Decimal("1.0000001"))
    assert not bad_value(Decimal("0")) and not bad_value(Decimal("12.5"))


def test_deep_nesting_is_seen_before_parsing_and_strings_do_not_count():
    assert too_deep("[" * 10_000 + "]" * 10_000)
    assert not too_deep(json.dumps({"events": [{"id": "[[[[[[[[[[[[", "properties": {"a": "{{{{{{{{"}}]}))
    assert too_deep('{"a": "\\"", "b": ' + "[" * 9 + "]" * 9 + "}")


def test_long_integers_stay_decimals_instead_of_failing_conversion():
    body = json.loads('{"v": ' + "9" * 5000 + ', "w": 12}', parse_int=parse_json_integer)
    assert isinstance(body["v"], Decimal) and body["w"] == 12
