"""The customer's Stripe record changes only from what its change read (DynamoStripeRecords.
change_customer_record): a Stripe event and the customer's click, or two Stripe events for one customer
on two processors, never put back what the other replaced."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from billing.adapters.dynamo.models import CustomerModel
from billing.domain.merchant_events import mandate_cancelled_draft
from billing.wiring.core import stripe_records
from tests.integration import stripe_support
from tests.integration.stripe_support import Issued

pytestmark = pytest.mark.integration
stripe_fake = stripe_support.stripe_fake  # the fixtures
issued = stripe_support.issued


def _seq(issued: Issued) -> int:
    return int(CustomerModel.get(issued.tenant_id, issued.stored.invoice.customer_id).event_seq or 0)


def test_a_change_made_meanwhile_is_kept_and_the_slower_change_decides_again(issued):
    # Given a customer's record with an active card mandate
    customer_id = issued.stored.invoice.customer_id
    records = stripe_records()
    active = {"mandate": {"status": "active", "payment_method_ref": "pm_old123456"}}
    records.change_customer_record(issued.tenant_id, customer_id, lambda _: (active, None))
    seen: list[dict[str, Any]] = []

    def stop(record: dict[str, Any]) -> Any:
        seen.append(record)
        if len(seen) == 1:
            # Between this change's read and its save, a Stripe event saves a new card's mandate
            new = {"mandate": {"status": "active", "payment_method_ref": "pm_new123456"}, "setup": "seti_1"}
            records.change_customer_record(issued.tenant_id, customer_id, lambda r: ({**r, **new}, None))
        event = mandate_cancelled_draft(
            customer_id,
            method="card",
            reference=str(record["mandate"]["payment_method_ref"]),
            invoice_id=issued.stored.invoice_id,
            status="cancelled",
            by="customer",
            reason=None,
            now=datetime.now(UTC),
        )
        return {**record, "mandate": {**record["mandate"], "status": "inactive"}}, event

    seq = _seq(issued)
    # When the slower change saves
    saved = records.change_customer_record(issued.tenant_id, customer_id, stop)
    # Then it was read again and applied to the new card's record: the setup is kept
    assert len(seen) == 2 and seen[1]["mandate"]["payment_method_ref"] == "pm_new123456"
    stored = records.customer_record(issued.tenant_id, customer_id)
    assert stored == {
        "mandate": {"status": "inactive", "payment_method_ref": "pm_new123456"},
        "setup": "seti_1",
    }
    assert saved is not None and saved[0] == stored
    # And its event went out once, numbered after the customer's last
    assert _seq(issued) == seq + 1


def test_concurrent_changes_each_land(issued):
    # Given twelve changes to one customer's record, each adding its own mark, at once
    customer_id = issued.stored.invoice.customer_id
    records = stripe_records()
    start = threading.Barrier(12)
    errors: list[BaseException] = []

    def mark(n: int) -> None:
        try:
            start.wait()
            records.change_customer_record(issued.tenant_id, customer_id, lambda r: ({**r, f"m{n}": n}, None))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=mark, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then none was lost
    assert errors == []
    assert records.customer_record(issued.tenant_id, customer_id) == {f"m{n}": n for n in range(12)}


def test_an_emptied_record_can_change_again_and_nothing_to_change_writes_nothing(issued):
    customer_id = issued.stored.invoice.customer_id
    records = stripe_records()
    # Given a record stored empty
    records.change_customer_record(issued.tenant_id, customer_id, lambda _: ({}, None))
    # Then it changes again
    assert records.change_customer_record(issued.tenant_id, customer_id, lambda r: ({**r, "a": 1}, None))
    # And a change with nothing to change writes nothing and numbers no event
    seq = _seq(issued)
    assert records.change_customer_record(issued.tenant_id, customer_id, lambda r: None) is None
    assert records.customer_record(issued.tenant_id, customer_id) == {"a": 1} and _seq(issued) == seq
