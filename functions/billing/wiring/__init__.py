"""The composition root: which adapter serves which port, for every Lambda handler and the CLI.

`core` binds the tables and builds the billing run, pages, payments and the shared stores; the other
modules do the same per area (merchant API, customer pages, engagement, bank files, customer data,
the outbox, price changes). Handlers and the CLI import these builders; nothing here is imported by
services, adapters or the domain (the import contracts in pyproject.toml).

`bind_tables` and `TableStore` (a DynamoDB store declared in one line) live here, in the package every
area module loads anyway, so that an area declares its stores without importing `core`'s builders.
"""

from __future__ import annotations

from functools import cache, cached_property
from importlib import import_module
from typing import Generic, TypeVar

from billing.settings import settings

Store = TypeVar("Store")


@cache
def bind_tables() -> None:
    from billing.adapters.dynamo.models import bind

    bind(settings())


class TableStore(Generic[Store]):
    """One DynamoDB store per container, declared in a line: `x: TableStore[C] = TableStore("dynamo.m.C")`.

    The string is the adapter class's path below `billing.adapters`, imported on the first call so
    that importing the wiring imports no adapter (cold starts pay for their own needs only); the first
    call also binds the tables, and every call answers the one store it built. The annotation names
    the same class for mypy; tests/unit/test_wiring.py checks that each declaration's two agree.
    """

    def __init__(self, adapter: str) -> None:
        self.adapter = adapter

    @cached_property
    def _store(self) -> Store:
        module, _, name = f"billing.adapters.{self.adapter}".rpartition(".")
        adapter = getattr(import_module(module), name)
        bind_tables()
        built: Store = adapter()
        return built

    def __call__(self) -> Store:
        return self._store
