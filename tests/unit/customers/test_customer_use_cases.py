"""The merchant's customer use cases against an in-memory store: create, read, update, list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from billing.services.customers.create import CreateCustomer, CustomerExists
from billing.services.customers.fields import CustomerCreate, CustomerUpdate
from billing.services.customers.get import CustomerNotFound, GetCustomer
from billing.services.customers.list import ListCustomers
from billing.services.customers.update import CustomerChanged, InvalidFields, UpdateCustomer
from billing.services.errors import PermanentError
from tests.fakes.customers import FakeCustomerRecords

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _create(records: FakeCustomerRecords, tenant: str, customer_id: str, **fields: object) -> None:
    body = {
        "id": customer_id,
        "name": "Anna Berg",
        "email": "anna@example.se",
        "address": ["Storgatan 1", "111 22 Stockholm"],
        "country": "SE",
        **fields,
    }
    CreateCustomer(records=records, clock=Clock())(tenant, CustomerCreate.model_validate(body))


def test_a_customer_is_created_once_and_read_back_in_its_tenant_only() -> None:
    # Given an empty store
    records = FakeCustomerRecords()
    # When a customer is created for tenant t1
    _create(records, "t1", "c1")
    # Then t1 reads it back, and another tenant finds nothing at that id
    assert GetCustomer(records=records)("t1", "c1").name == "Anna Berg"
    with pytest.raises(CustomerNotFound):
        GetCustomer(records=records)("t2", "c1")
    # And creating the same id again is refused as a conflict, leaving the first one as it was
    with pytest.raises(CustomerExists) as refused:
        _create(records, "t1", "c1", name="Someone Else")
    assert refused.value.field == "id"
    assert GetCustomer(records=records)("t1", "c1").name == "Anna Berg"


def test_an_update_changes_only_the_fields_sent_and_checks_the_result_whole() -> None:
    records = FakeCustomerRecords()
    _create(records, "t1", "c1")
    update = UpdateCustomer(records=records, clock=Clock(NOW + timedelta(minutes=5)))
    # When only the email is sent
    view = update("t1", "c1", CustomerUpdate(email="anna.berg@example.se"))
    # Then the email changed and the rest stayed
    assert (view.email, view.name, view.country) == ("anna.berg@example.se", "Anna Berg", "SE")
    # And an org number on a customer who is not a business is refused by field, nothing written
    with pytest.raises(InvalidFields) as refused:
        update("t1", "c1", CustomerUpdate(org_number="556677-8899"))
    assert refused.value.field
    assert GetCustomer(records=records)("t1", "c1").org_number is None


def test_an_update_racing_another_is_refused_not_lost() -> None:
    records = FakeCustomerRecords()
    _create(records, "t1", "c1")
    current = records.get("t1", "c1")
    assert current is not None
    # Given another update landing between this one's read and its write
    records.changed_behind = replace(current, email="other@example.se", updated_at=NOW + timedelta(seconds=1))
    # When this one writes, then it is refused as a conflict and the other's change stands
    with pytest.raises(CustomerChanged):
        UpdateCustomer(records=records, clock=Clock(NOW + timedelta(minutes=1)))(
            "t1", "c1", CustomerUpdate(name="Anna B")
        )
    assert GetCustomer(records=records)("t1", "c1").email == "other@example.se"


def test_the_list_pages_through_one_tenant_with_an_opaque_cursor() -> None:
    # Given five customers of t1 and one of t2
    records = FakeCustomerRecords()
    for i in range(5):
        _create(records, "t1", f"c{i}")
    _create(records, "t2", "x0")
    listing = ListCustomers(records=records)
    # When t1 lists two at a time
    first = listing("t1", limit=2)
    second = listing("t1", limit=2, cursor=first.next_cursor)
    third = listing("t1", limit=2, cursor=second.next_cursor)
    # Then every customer of t1 comes once, in order, and none of t2's
    assert [c.id for page in (first, second, third) for c in page.data] == ["c0", "c1", "c2", "c3", "c4"]
    assert third.next_cursor is None
    # And a cursor that is not one the API gave out is refused by name
    with pytest.raises(PermanentError) as refused:
        listing("t1", cursor="%%%")
    assert refused.value.field == "cursor"
