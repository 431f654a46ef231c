"""What erasing a customer reads and writes (billing.services.erasure; adapters/dynamo/erasure.py,
adapters/aws.py): the customer's invoices and records, the identity kept apart, the pages' versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from billing.services.ports import StoredInvoice


@dataclass(frozen=True)
class KeptIdentity:
    """The identity the erased customer's invoices carried (`identity`), kept apart under `pseudonym`
    until `until` (the end of the bookkeeping years), recorded as the `operator`'s act at `at`."""

    tenant_id: str
    pseudonym: str
    identity: dict[str, Any]
    until: datetime
    operator: str
    at: datetime


class ErasureStore(Protocol):
    def invoices(self, tenant_id: str, customer_id: str) -> list[StoredInvoice]: ...

    def customer_exists(self, tenant_id: str, customer_id: str) -> bool: ...

    def pseudonymise_invoice(
        self, stored: StoredInvoice, pseudonym: str, buyer: dict[str, Any], page_token: str
    ) -> None:
        """Replace the customer in the stored invoice and remove what the page recorded about them."""
        ...

    def keep_identity(self, kept: KeptIdentity) -> None:
        """Keep the erased customer's identity apart, under its pseudonym, until the bookkeeping ends."""
        ...

    def delete_customer(self, tenant_id: str, customer_id: str) -> None: ...

    def delete_mandate(self, tenant_id: str, customer_id: str) -> bool: ...

    def delete_usage(self, tenant_id: str, customer_id: str) -> int: ...


class PageEraser(Protocol):
    def erase(self, key: str) -> int:
        """Delete every version of the object at `key`; how many versions there were."""
        ...
