"""The customer's spend alert document on their record (billing.services.spend_alerts): every change
is one conditional write on the document as it was read, so two writers never both win."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import CustomerModel
from billing.services.errors import RetryableError


class DynamoSpendAlerts:
    def replace(
        self, tenant_id: str, customer_id: str, before: dict[str, Any], after: dict[str, Any]
    ) -> bool:
        condition = CustomerModel.customer_id.exists() & (
            CustomerModel.spend_alert == before if before else CustomerModel.spend_alert.does_not_exist()
        )
        try:
            CustomerModel(tenant_id, customer_id).update(
                actions=[CustomerModel.spend_alert.set(after)], condition=condition
            )
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise RetryableError("the spend alert could not be stored; try again") from exc
        return True
