"""The invoice document is stored compressed, and a document stored as JSON text before is still read."""

from __future__ import annotations

import json

from billing.adapters.dynamo.models import InvoiceModel
from billing.adapters.dynamo.models.base import CompressedJSONAttribute

DOCUMENT = {
    "number": "F-2026-000123",
    "lines": [
        {"description": f"Data {n} GB", "amount": 12345 + n, "vat_rate": "25", "kind": "usage"}
        for n in range(12)
    ],
    "buyer": {"name": "Åsa Öberg", "address": ["Storgatan 1", "111 22 Stockholm"]},
    "vat": [{"rate": "25", "base": 150000, "vat": 37500}],
}


def test_a_document_is_stored_compressed_and_read_back_whole() -> None:
    # Given the invoice model's document attribute
    attribute = InvoiceModel.document
    assert isinstance(attribute, CompressedJSONAttribute)
    # When a document is serialised for DynamoDB
    stored = attribute.serialize(DOCUMENT)
    # Then it is a binary value well under the JSON text's size, and reads back equal
    assert isinstance(stored, bytes)
    assert len(stored) < len(json.dumps(DOCUMENT).encode()) / 2
    assert attribute.deserialize(attribute.get_value({"B": stored})) == DOCUMENT


def test_a_document_stored_as_json_text_before_is_still_read() -> None:
    # Given an invoice item written before compression: the document as a JSON string
    attribute = InvoiceModel.document
    legacy = {"S": json.dumps(DOCUMENT)}
    # When it is read, Then it is the same document
    assert attribute.deserialize(attribute.get_value(legacy)) == DOCUMENT
