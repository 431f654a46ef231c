"""A customer's raw usage events in time order: the ledger's event items, and UsageTable's older ones.

Ingestion writes each event once, as the ledger item keyed by its id that is also its duplicate marker
(billing.adapters.dynamo.usage_ledger); the ledger's sparse `event_index` (customer, "<instant>#<id>")
gives them back in time order. Events recorded before that are in UsageTable under the same
"<instant>#<id>" sort key until their TTL ends, and each reader here reads both and merges them in key
order, so an upgrade needs no migration and loses no event. The index is eventually consistent: what
reads it (the billing worker for charges daily totals cannot bill, the usage download, erasure) runs
after the usage it reads was recorded.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

from billing.adapters.dynamo.models import UsageLedgerModel, UsageModel
from billing.adapters.dynamo.stores.base import customer_key
from billing.adapters.dynamo.usage_keys import marker_key

Keyed = tuple[str, dict[str, Any]]  # ("<instant>#<event id>", the event as it was sent)


def _ledger(tenant_id: str, customer_id: str, lo: str, hi: str, limit: int | None) -> Iterator[Keyed]:
    for item in UsageLedgerModel.events_by_customer.query(
        customer_key(tenant_id, customer_id),
        UsageLedgerModel.event_key.between(lo, hi),
        limit=limit,
    ):
        yield str(item.event_key), dict(item.event or {})


def _legacy(tenant_id: str, customer_id: str, lo: str, hi: str, limit: int | None) -> Iterator[Keyed]:
    for item in UsageModel.query(
        customer_key(tenant_id, customer_id), UsageModel.event_key.between(lo, hi), limit=limit
    ):
        yield item.event_key, dict(item.event)


def _merged(sources: Iterable[Iterator[Keyed]]) -> Iterator[Keyed]:
    previous = None
    for key, event in heapq.merge(*sources, key=lambda keyed: keyed[0]):
        if key != previous:  # one event in both places (a bulk load over older data) counts once
            yield key, event
        previous = key


def events_between(
    tenant_id: str, customer_id: str, lo: str, hi: str, limit: int | None = None
) -> Iterator[Keyed]:
    """The customer's events with "<instant>#<id>" keys in [lo, hi], oldest first. `limit`: at most
    that many read from each place (enough for a page of `limit`)."""
    return _merged(
        [
            _ledger(tenant_id, customer_id, lo, hi, limit),
            _legacy(tenant_id, customer_id, lo, hi, limit),
        ]
    )


def delete_events(tenant_id: str, customer_id: str) -> int:
    """Erase every raw event of the customer's, in both places, with the duplicate markers of the
    older ones (a ledger event item is its own marker). Returns how many events were erased."""
    deleted = 0
    ledger_items = UsageLedgerModel.events_by_customer.query(customer_key(tenant_id, customer_id))
    with UsageModel.batch_write() as raw, UsageLedgerModel.batch_write() as ledger:
        for item in ledger_items:
            ledger.delete(UsageLedgerModel(item.pk, item.sk))
            deleted += 1
        for old in UsageModel.query(customer_key(tenant_id, customer_id)):
            event_id = old.event_key.split("#", 1)[1]
            ledger.delete(UsageLedgerModel(marker_key(tenant_id, event_id), "-"))
            raw.delete(old)
            deleted += 1
    return deleted
