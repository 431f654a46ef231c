"""What every table model shares: a `Meta` of its own, named UNBOUND until `bind` points it at its
table; the key shape of a tenant's several kinds of item; how an index is declared; and the compressed
JSON attribute large documents are stored in."""

from __future__ import annotations

import json
import zlib
from typing import Any, TypeVar

from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.connection.table import TableConnection
from pynamodb.constants import BINARY, STRING
from pynamodb.indexes import GlobalSecondaryIndex, Projection
from pynamodb.models import MetaModel, Model

from billing.settings import ConfigError

UNBOUND = "unbound"  # bind() sets the real name; a request before that is a ConfigError

_M = TypeVar("_M", bound=Model)


class _TableMeta(MetaModel):
    # PynamoDB reads a model's settings from the `Meta` in its class body; one inherited from a base
    # would be shared, and binding one model would rename the other's table.
    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], discriminator: Any = None
    ) -> _TableMeta:
        namespace.setdefault("Meta", type("Meta", (), {"table_name": UNBOUND}))
        return super().__new__(mcs, name, bases, namespace, discriminator)


class TableModel(Model, metaclass=_TableMeta):
    """The model of one table of template.yaml (MODELS_BY_TABLE_SETTING names which)."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # Every request (the model's and its indexes') comes through here: a table this function's
        # environment does not name is refused with the variable's name, before any call to AWS.
        if cls.Meta.table_name == UNBOUND:
            variable = getattr(cls.Meta, "variable", None)
            if variable is None:
                raise ConfigError(f"{cls.__name__} is used before its tables are bound (wiring.bind_tables)")
            raise ConfigError(
                f"missing environment variable {variable}, {cls.__name__}'s table (template.yaml sets it "
                "in the Environment of each function whose policies grant that table)"
            )
        return super()._get_connection()


class TenantItems(TableModel):
    """A table of one tenant's items of several kinds in its partition, each item keyed by its kind
    ("mandate#<customer>", "file#<sha256>")."""

    tenant_id = UnicodeAttribute(hash_key=True)
    item_key = UnicodeAttribute(range_key=True)


class TableIndex(GlobalSecondaryIndex[_M]):
    """A global secondary index, named and projected as template.yaml declares it:
    `class PageIndex(TableIndex["InvoiceModel"], name="page_index", projection=KeysOnlyProjection())`."""

    def __init_subclass__(cls, name: str = "", projection: Projection | None = None, **kwargs: Any) -> None:
        if name:
            cls.Meta = type("Meta", (), {"index_name": name, "projection": projection})
        super().__init_subclass__(**kwargs)


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
