"""List a tenant's customers a page at a time (`GET /v1/customers?limit=&cursor=`).

The cursor is opaque to the caller: the last id of the page, base64url-encoded. It carries no tenant:
the next page is read within the key's tenant whatever the cursor says, so a cursor cannot reach
another tenant's customers.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from billing.services.customers.fields import CustomerList
from billing.services.customers.ports import CustomerRecords
from billing.services.customers.records import to_view
from billing.services.errors import PermanentError

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PermanentError("not a cursor this API gave out", field="cursor", code="invalid") from None
    if not text or len(text) > 64:
        raise PermanentError("not a cursor this API gave out", field="cursor", code="invalid")
    return text


@dataclass(frozen=True)
class ListCustomers:
    records: CustomerRecords

    def __call__(self, tenant_id: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> CustomerList:
        after = decode_cursor(cursor) if cursor else None
        page, more = self.records.page(tenant_id, after, limit)
        views = [to_view(r) for r in page]
        return CustomerList(data=views, next_cursor=encode_cursor(views[-1].id) if more and views else None)
