"""Stripe's ids and what we made them for (StripeRefsTable, docs/payments.md): how a Stripe event that
carries none of our metadata (a dispute or refund named by its charge, a mandate update named by the
mandate) finds its invoice or customer with one read, instead of reading the tenant's whole partition.

An id is put when the state that first names it is saved, before that write: the item records a fact
that is true from the moment we know the id (this Checkout Session was opened for this invoice), so it
never has to be taken back, and a retried save puts the same item again. Whether the payment it names
has been stored is the invoice's own state to say (`awaited_payment`), never this table's.

Invoices and customers stored before this table existed are indexed once by `billing payments
index-refs` (billing.cli.payments), which then marks the tenant (`TenantModel.stripe_ids_indexed`; a
tenant created since is marked at creation). Until a tenant is marked, a look-up that misses reads the
tenant's partition as before, so an upgrade loses no look-up while it waits for the operator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import CustomerModel, InvoiceModel, StripeRefModel, TenantModel
from billing.services.errors import PermanentError, RetryableError

# The prefixes of the Stripe objects our state records: Checkout Sessions, PaymentIntents, charges
# and payments (py_: a SEPA or Klarna charge), customers, payment methods, SetupIntents, mandates.
STRIPE_ID = re.compile(r"(?:cs|pi|ch|py|cus|pm|seti|src|mandate)_[A-Za-z0-9_]{6,255}")


class Owner(StrEnum):
    INVOICE = "invoice"
    CUSTOMER = "customer"


def _key(owner: Owner, ref: str) -> str:
    return f"{owner}#{ref}"  # "invoice#pi_...", "customer#pm_..."


def stripe_ids(value: Any) -> set[str]:
    """Every Stripe id a stored record names, as a key or a value, at any depth."""
    found: set[str] = set()
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            if STRIPE_ID.fullmatch(current):
                found.add(current)
        elif isinstance(current, Mapping):
            pending.extend(current.keys())
            pending.extend(current.values())
        elif isinstance(current, (list, tuple)):
            pending.extend(current)
    return found


def remember(tenant_id: str, owner: Owner, owner_id: str, before: Any, after: Any) -> None:
    """Put the ids `after` names and `before` did not, each pointing at `owner_id`."""
    for ref in sorted(stripe_ids(after) - stripe_ids(before)):
        put(tenant_id, owner, owner_id, ref)


def put(tenant_id: str, owner: Owner, owner_id: str, ref: str) -> None:
    try:
        StripeRefModel(tenant_id, _key(owner, ref), owner_id=owner_id).save()
    except PutError as exc:
        raise RetryableError(f"saving Stripe id {ref} failed: {exc}") from exc


def forget(tenant_id: str, owner: Owner, owner_id: str, record: Any) -> int:
    """Delete the items of the ids `record` names that still point at `owner_id` (an erased customer's
    saved method and mandate: docs/privacy.md); how many were deleted."""
    deleted = 0
    for ref in sorted(stripe_ids(record)):
        try:
            StripeRefModel(tenant_id, _key(owner, ref)).delete(condition=StripeRefModel.owner_id == owner_id)
        except DeleteError as exc:
            if not condition_failed(exc):
                raise RetryableError(f"deleting Stripe id {ref} failed: {exc}") from exc
            continue  # gone already, or another owner's
        deleted += 1
    return deleted


def owner_of(tenant_id: str, owner: Owner, ref: str) -> str | None:
    """Our invoice or customer id that `ref` was made for; None when no state of ours named it.
    Consistent: a held dispute looks again right after it is held, and must see a payment stored a
    moment before (billing.services.payments.ProcessStripeEvent._hold)."""
    try:
        item = StripeRefModel.get(tenant_id, _key(owner, ref), consistent_read=True)
    except DoesNotExist:
        return None
    return str(item.owner_id)


_INDEXED: set[str] = set()  # tenants seen marked: a mark is never taken back


def indexed(tenant_id: str) -> bool:
    """Whether every Stripe id of the tenant has its item (a miss then means: not ours)."""
    if tenant_id not in _INDEXED:
        try:
            tenant = TenantModel.get(tenant_id, attributes_to_get=["tenant_id", "stripe_ids_indexed"])
        except DoesNotExist:
            return False
        if not tenant.stripe_ids_indexed:
            return False
        _INDEXED.add(tenant_id)
    return True


def unmarked_tenants() -> list[str]:
    """The tenants whose older Stripe ids are not indexed yet (a scan of the tenants table: the
    operator's, once after the upgrade)."""
    scanned: Iterable[Any] = TenantModel.scan(attributes_to_get=["tenant_id", "stripe_ids_indexed"])
    return sorted(str(t.tenant_id) for t in scanned if not t.stripe_ids_indexed)


def index_tenant(tenant_id: str) -> dict[str, int]:
    """Put the id items of every invoice and customer of the tenant (stored before this table, or
    restored from a backup): one read of the tenant's partitions, safe to run again."""
    try:
        TenantModel.get(tenant_id, attributes_to_get=["tenant_id"])
    except DoesNotExist:
        raise PermanentError(f"no tenant {tenant_id!r}", field="tenant") from None
    counts = {"invoices": 0, "customers": 0, "ids": 0}
    owners: list[tuple[Owner, Iterable[Any]]] = [
        (Owner.INVOICE, InvoiceModel.query(tenant_id, attributes_to_get=["invoice_id", "state"])),
        (Owner.CUSTOMER, CustomerModel.query(tenant_id, attributes_to_get=["customer_id", "stripe"])),
    ]
    # Batched (25 items a request, PynamoDB retrying what DynamoDB leaves unprocessed): the operator's
    # run over a large tenant's history, not a function's.
    with StripeRefModel.batch_write() as batch:
        for owner, items in owners:
            for item in items:
                counts[f"{owner}s"] += 1
                # An invoice's ids are anywhere in its state; a customer's in its Stripe record.
                record = item.state if owner is Owner.INVOICE else item.stripe
                owner_id = str(item.invoice_id if owner is Owner.INVOICE else item.customer_id)
                for ref in sorted(stripe_ids(record or {})):
                    batch.save(StripeRefModel(tenant_id, _key(owner, ref), owner_id=owner_id))
                    counts["ids"] += 1
    # Marked last: a run cut short leaves the tenant unmarked, and its look-ups still read the partition.
    TenantModel(tenant_id).update(
        actions=[TenantModel.stripe_ids_indexed.set(True)], condition=TenantModel.tenant_id.exists()
    )
    return counts
