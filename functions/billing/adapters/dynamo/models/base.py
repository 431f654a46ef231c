"""What every table model shares: the name a model has until `bind` points it at its table, and the
compressed JSON attribute large documents are stored in."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import BINARY, STRING

UNBOUND = "unbound"  # bind() sets the real name; using a model before that fails loudly


class CompressedJSONAttribute(Attribute[Any]):
    """A JSON document stored zlib-compressed, as a binary value.

    DynamoDB bills a write by the started KB of the whole item, in its indexes too (an invoice is
    written by the issuing transaction at twice the rate, into the customer index that projects it,
    and again when its email is sent): an invoice's document is about 2.3 KB as JSON and 0.8 KB
    compressed (docs/performance.md). Values stored before this attribute existed are JSON strings;
    they are read as they are and compressed the next time the document is written.
    """

    attr_type = BINARY

    def serialize(self, value: Any) -> bytes:
        return zlib.compress(json.dumps(value, separators=(",", ":")).encode("utf-8"), 6)

    def get_value(self, value: dict[str, Any]) -> Any:
        if STRING in value:  # a document stored as JSON text, before compression
            return value[STRING]
        return super().get_value(value)

    def deserialize(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        return json.loads(zlib.decompress(value).decode("utf-8"))
