"""The bench's write units by AWS's rule count index writes: a put into each index the item is in, an
update into each index holding an attribute it changed."""

from __future__ import annotations

from bench import aws_calls
from bench.aws_calls import _Index, _touched, aws_rule_write_units


def _with_indexes(table: str, *indexes: _Index) -> None:
    aws_calls._indexes[table] = list(indexes)


def test_a_put_writes_every_index_the_item_is_in_by_what_it_projects() -> None:
    # Given a table with an ALL index on customer, and a KEYS_ONLY one on a sparse message id
    _with_indexes(
        "inv",
        _Index("customer_index", frozenset({"ck", "period"}), None),
        _Index("message_index", frozenset({"mid"}), frozenset({"mid", "pk", "sk"})),
    )
    item = {
        "pk": {"S": "t"},
        "sk": {"S": "i1"},
        "ck": {"S": "t#c"},
        "period": {"S": "2026"},
        "doc": {"S": "x" * 1500},
    }
    # When it is put in a transaction
    units = aws_rule_write_units(
        "TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "inv", "Item": item}}]}
    )
    # Then the table item costs 2 x 2 (1.5 KB, transactional) and the ALL index 2, the sparse one nothing
    assert units == {"inv": 4, "inv indexes": 2}


def test_an_update_writes_only_the_indexes_holding_what_it_changed(monkeypatch) -> None:
    _with_indexes(
        "inv",
        _Index("customer_index", frozenset({"ck", "period"}), None),
        _Index("message_index", frozenset({"mid"}), frozenset({"mid", "pk", "sk"})),
        _Index("open_index", frozenset({"open"}), frozenset({"open", "pk", "sk"})),
    )
    after = {
        "pk": {"S": "t"},
        "sk": {"S": "i1"},
        "ck": {"S": "c"},
        "period": {"S": "p"},
        "mid": {"S": "m"},
        "open": {"S": "y"},
    }
    monkeypatch.setattr(aws_calls, "_item_after", lambda table, key: after)
    params = {
        "TableName": "inv",
        "Key": {"pk": {"S": "t"}, "sk": {"S": "i1"}},
        "UpdateExpression": "SET #m = :m, email_status = if_not_exists(email_status, :s)",
        "ExpressionAttributeNames": {"#m": "mid"},
    }
    assert _touched(params) == {"mid", "email_status"}
    # When the message id is set: the ALL index and the message index are written, not open_index
    assert aws_rule_write_units("UpdateItem", params) == {"inv": 1, "inv indexes": 2}
