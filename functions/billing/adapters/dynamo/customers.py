"""The merchant's customer records (billing.services.customers.ports.CustomerRecords) in the
Customers table, beside the billing schedule the run keeps on the same item.

Every read and write is keyed by (tenant, customer): nothing here can reach another tenant's item.
A replace writes the profile fields only (never the subscription, schedule, balance or coupons the
billing run owns), conditional on `updated_at` being what was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.conditions import written
from billing.adapters.dynamo.models import CustomerModel
from billing.services.customers.ports import CustomerRecord


def _record(item: CustomerModel) -> CustomerRecord:
    created = item.created_at or datetime(1970, 1, 1, tzinfo=UTC)
    return CustomerRecord(
        customer_id=item.customer_id,
        profile=dict(item.profile),
        email=item.email,
        personal_number=item.personal_number,
        created_at=created,
        updated_at=item.updated_at or created,
        has_subscription=item.subscription is not None,
    )


class DynamoCustomerRecords:
    def create(self, tenant_id: str, record: CustomerRecord) -> bool:
        item = CustomerModel(
            tenant_id,
            record.customer_id,
            profile=record.profile,
            email=record.email,
            personal_number=record.personal_number,
            created_at=record.created_at.astimezone(UTC),
            updated_at=record.updated_at.astimezone(UTC),
            usage_shards=1,  # a new customer's totals start on one key (usage_keys.shards_of)
        )
        return written(partial(item.save, condition=CustomerModel.customer_id.does_not_exist()))

    def get(self, tenant_id: str, customer_id: str) -> CustomerRecord | None:
        try:
            return _record(CustomerModel.get(tenant_id, customer_id, consistent_read=True))
        except DoesNotExist:
            return None

    def replace(self, tenant_id: str, record: CustomerRecord, read_at: datetime) -> bool:
        # Records from before the API have no updated_at: then "unchanged" means "still has none".
        unchanged = (
            CustomerModel.updated_at == read_at.astimezone(UTC)
            if read_at.year > 1970
            else CustomerModel.updated_at.does_not_exist()
        )
        return written(
            partial(
                CustomerModel(tenant_id, record.customer_id).update,
                actions=[
                    CustomerModel.profile.set(record.profile),
                    CustomerModel.email.set(record.email),
                    CustomerModel.personal_number.set(record.personal_number)
                    if record.personal_number is not None
                    else CustomerModel.personal_number.remove(),
                    CustomerModel.updated_at.set(record.updated_at.astimezone(UTC)),
                ],
                condition=CustomerModel.customer_id.exists() & unchanged,
            )
        )

    def page(self, tenant_id: str, after: str | None, limit: int) -> tuple[Sequence[CustomerRecord], bool]:
        condition = CustomerModel.customer_id > after if after is not None else None
        # One more than asked tells whether another page follows without a second query.
        items = list(
            CustomerModel.query(
                tenant_id, condition, limit=limit + 1, page_size=limit + 1, consistent_read=True
            )
        )
        return [_record(i) for i in items[:limit]], len(items) > limit
