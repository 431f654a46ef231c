"""A customer's invoices, newest first, a page at a time (`GET /v1/customers/{id}/invoices`).

The cursor is the last invoice's (period start, id), base64url-encoded; the query is always the
caller's tenant and the customer in the path, whatever the cursor says."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from billing.services.errors import PermanentError
from billing.services.invoices.ports import InvoiceReads
from billing.services.invoices.views import InvoiceList, summary

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"inv_[a-z2-7]{26}")


def encode_position(position: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode_position(cursor: str) -> tuple[str, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = None
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
        raise PermanentError("not a cursor this API gave out", field="cursor")
    if not (_DAY.fullmatch(raw[0]) and _ID.fullmatch(raw[1])):
        raise PermanentError("not a cursor this API gave out", field="cursor")
    return raw[0], raw[1]


@dataclass(frozen=True)
class ListInvoices:
    invoices: InvoiceReads
    pages_base_url: str

    def __call__(self, tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> InvoiceList:
        after = decode_position(cursor) if cursor else None
        if not self.invoices.customer_exists(tenant_id, customer_id):
            # As absent as any id of another tenant's: an empty list would not say which it is
            raise PermanentError(f"no customer {customer_id!r}", field="customer_id", code="not_found")
        page, position = self.invoices.page(tenant_id, customer_id, after, limit)
        return InvoiceList(
            data=[summary(s, self.pages_base_url) for s in page],
            next_cursor=encode_position(position) if position else None,
        )
