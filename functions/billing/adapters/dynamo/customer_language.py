"""The customer's language, as they chose it on the invoice page (billing.services.page_language)."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from billing.adapters.dynamo.conditions import condition_failed
from billing.adapters.dynamo.models import CustomerModel
from billing.services.errors import PermanentError, RetryableError

ATTEMPTS = 5


class DynamoCustomerLanguage:
    def set_language(self, tenant_id: str, customer_id: str, language: str) -> bool:
        """Store `language` in the customer's profile; False when it already was. The profile is one
        JSON document, so the write is conditional on the document read: a concurrent change of the
        profile is re-read, never overwritten."""
        for _ in range(ATTEMPTS):
            try:
                item = CustomerModel.get(tenant_id, customer_id, consistent_read=True)
            except CustomerModel.DoesNotExist:
                raise PermanentError("no such customer", field="customer_id") from None
            profile = dict(item.profile or {})
            if profile.get("language") == language:
                return False
            before = item.profile
            try:
                item.update(
                    actions=[CustomerModel.profile.set({**profile, "language": language})],
                    condition=CustomerModel.profile == before,
                )
            except UpdateError as exc:
                if condition_failed(exc):
                    continue
                raise RetryableError("the customer could not be updated; try again") from exc
            return True
        raise RetryableError("the customer kept changing; try again")
