"""The demo's one-off invoice and credit note, through the merchant API like its other changes
(infra/demo_api.py): a customer is billed for an installation visit and a router, then credited for the
hour the technician did not need, so `make demo` lists both pages (docs/api.md)."""

from __future__ import annotations

from typing import Any

from infra import demo_api, demo_data

ITEMS = [
    {"description": "Installation på plats", "quantity": "2", "unit": "tim", "unit_price": 45000},
    {"description": "Router AX3000", "unit_price": 79920},
]


def bill_and_credit(
    api: demo_api.MerchantApi, customers: list[demo_data.DemoCustomer]
) -> dict[str, tuple[demo_data.DemoCustomer, dict[str, Any]]]:
    """A one-off invoice for the first customer, and a credit note of one of its two hours; returns
    each answer shaped as the demo's list of pages reads it ({"invoice": {"page_token": ...}})."""
    if not customers:
        return {}
    customer = customers[0]
    invoiced = api.call(
        "POST",
        "/v1/customers/{customer_id}/invoices",
        {"customer_id": customer.profile["id"]},
        {"items": ITEMS},
    )
    credited = api.call(
        "POST",
        "/v1/invoices/{invoice_id}/credit_notes",
        {"invoice_id": invoiced["invoice"]["id"]},
        {"lines": [{"line_id": "1", "quantity": "1"}], "reason": "En timme mindre än beräknat"},
    )
    return {
        "one-off invoice": (customer, invoiced),
        "credit note": (customer, {"invoice": {"page_token": credited["credit_note"]["page_token"]}}),
    }
