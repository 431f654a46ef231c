"""A cancelled transaction's codes read by the place each item was added (conditions.codes_as_added).

PynamoDB sends a transaction's puts before its updates whatever order the code added them in, and
DynamoDB answers a reason per item in the order sent. Code that read the reasons by the order of its
`tx.` calls read another item's: a customer's own condition failing in a change that also puts its
outbox event was taken for a race and retried twenty times, and a plan change's lost race for the
invoice number was taken for the subscription having moved on."""

from __future__ import annotations

import uuid

import pytest

from billing.adapters.dynamo.conditions import Transaction, cancellation_codes, codes_as_added
from billing.adapters.dynamo.models import CounterModel
from billing.adapters.dynamo.stores import connection
from billing.wiring import bind_tables

pytestmark = pytest.mark.integration


def test_codes_are_read_by_the_place_each_item_was_added(local_env):
    from pynamodb.exceptions import TransactWriteError

    bind_tables()
    # Given an update whose condition fails, added before a put that would succeed
    held, fresh = f"held-{uuid.uuid4().hex}", f"fresh-{uuid.uuid4().hex}"
    CounterModel(held, value=1).save()
    with pytest.raises(TransactWriteError) as cancelled:
        with Transaction(connection=connection()) as tx:
            tx.update(
                CounterModel(held), actions=[CounterModel.value.set(3)], condition=CounterModel.value == 2
            )
            tx.save(CounterModel(fresh, value=1), condition=CounterModel.counter_id.does_not_exist())
    # Then DynamoDB's own order puts the put first, and read by place the update is the one refused
    assert cancellation_codes(cancelled.value) == [None, "ConditionalCheckFailed"]
    assert codes_as_added(cancelled.value, tx) == ["ConditionalCheckFailed", None]
    assert tx.added == ["update", "put"]
    # And nothing was written
    assert int(CounterModel.get(held).value) == 1
    assert CounterModel.count(fresh) == 0
