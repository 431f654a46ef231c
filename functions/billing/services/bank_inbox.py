"""A file from Bankgirot dropped in a tenant's inbox (`<service>/inbox/<tenant>/<file>`): whose it is,
its digest, and its parse, with the line Bankgirot's format refuses named. Shared by the Autogiro
report import (billing.services.autogiro.import_report) and the BgMax import
(billing.services.bank_payments.import_file)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol, TypeVar

from billing.domain.errors import LineError
from billing.services.errors import PermanentError

T = TypeVar("T")


class InboxFiles(Protocol):
    def read(self, key: str) -> bytes: ...


def tenant_of_inbox_key(key: str, prefix: str) -> str:
    """`<prefix><tenant>/<file>` -> tenant."""
    tenant, _, name = key.removeprefix(prefix).partition("/")
    if not key.startswith(prefix) or not tenant or not name:
        raise PermanentError(f"expected {prefix}<tenant>/<file>, got {key!r}", field="key")
    return tenant


def read_bank_file(
    files: InboxFiles,
    key: str,
    parse: Callable[[bytes], T],
    refused: type[LineError],
) -> tuple[str, T]:
    """The file's SHA-256 (what makes importing it again a no-op) and what `parse` reads from it. A file
    the format refuses is a permanent error naming the line and the field: retrying cannot help."""
    body = files.read(key)
    try:
        return hashlib.sha256(body).hexdigest(), parse(body)
    except refused as exc:
        raise PermanentError(f"line {exc.line_no}: {exc.reason}", field=exc.field, code="parse") from exc
