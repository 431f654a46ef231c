"""A cancelled transaction's codes read by the place each item was added (conditions.codes_as_added).

PynamoDB sends a transaction's puts before its updates whatever order the code added them in, and
DynamoDB answers a reason per item in the order sent. Code that read the reasons by the order of its
`tx.` calls read another item's: a change whose own condition failed, with its outbox event put, was
taken for a race and retried twenty times (an upgrade whose subscription changed meanwhile dropped the
merchant's connection instead of answering 409), and a page question over the day's limit was told the
invoice's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from billing.adapters.dynamo.conditions import Transaction, cancellation_codes, codes_as_added
from billing.adapters.dynamo.models import CounterModel, CustomerModel
from billing.adapters.dynamo.stores import connection
from billing.domain.merchant_events import mandate_cancelled_draft
from billing.wiring import bind_tables
from tests.integration import stripe_support

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixtures
issued = stripe_support.issued


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


def test_a_change_with_its_customer_event_whose_own_condition_fails_is_refused_at_once(issued, monkeypatch):
    from billing.adapters.dynamo import customer_events
    from billing.adapters.dynamo.customer_events import (
        customer_seq,
        update_customer_with_event,
        update_with_customer_event,
    )

    # Given a customer, an item of another table, and a merchant event to number on the customer
    tenant_id, customer_id = issued.tenant_id, issued.stored.invoice.customer_id
    held = f"held-{uuid.uuid4().hex}"
    CounterModel(held, value=1).save()
    draft = mandate_cancelled_draft(
        customer_id,
        method="autogiro",
        reference="p1",
        invoice_id=None,
        status="cancelled",
        by="customer",
        reason=None,
        now=datetime.now(UTC),
    )
    seq = customer_seq(tenant_id, customer_id)
    attempts: list[int] = []
    monkeypatch.setattr(customer_events, "customer_seq", lambda *a: attempts.append(1) or customer_seq(*a))
    # When the change's own condition fails, on the other item and on the customer's
    refused = update_with_customer_event(
        CounterModel(held),
        actions=[CounterModel.value.set(2)],
        condition=CounterModel.value == 5,
        tenant_id=tenant_id,
        customer_id=customer_id,
        draft=draft,
        what="testing",
    )
    refused_too = update_customer_with_event(
        tenant_id,
        customer_id,
        actions=[CustomerModel.balance.add(1)],
        condition=CustomerModel.balance == -1,
        draft=draft,
        what="testing",
    )
    # Then each answers False after one try, not twenty, and nothing was written or numbered
    assert refused is False and refused_too is False
    assert len(attempts) <= 3
    assert int(CounterModel.get(held).value) == 1 and customer_seq(tenant_id, customer_id) == seq
