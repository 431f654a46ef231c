"""The wiring's one-line store declarations (billing.wiring.TableStore): each names the class its
annotation names, imports it only when first called, binds the tables and builds it once."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

import billing.wiring
from bench.cold_import import cold_import, lambda_environment
from billing.adapters.dynamo.spend_alerts import DynamoSpendAlerts
from billing.wiring import TableStore

# Modules outside the wiring that declare a store of their own.
ALSO_DECLARING = ("billing.handlers.ingest_usage",)


def _wiring_modules() -> list[ModuleType]:
    names = [f"billing.wiring.{m.name}" for m in pkgutil.iter_modules(billing.wiring.__path__)]
    return [importlib.import_module(name) for name in (*names, *ALSO_DECLARING)]


def _declared_stores() -> list[tuple[str, str, TableStore[object]]]:
    """(module, name, store) for every TableStore a module declares: the module annotating it (the
    modules that import it from there do not)."""
    modules = _wiring_modules()
    stores = {
        id(value): value
        for module in modules
        for value in list(vars(module).values())
        if isinstance(value, TableStore)
    }
    declared = [
        (module.__name__, name, value)
        for module in modules
        for name, value in list(vars(module).items())
        if isinstance(value, TableStore) and name in getattr(module, "__annotations__", {})
    ]
    assert len(declared) == len(stores), "a store is declared without its annotation"
    return declared


def _annotated_class(module: str, name: str) -> str:
    """`C` of `TableStore[C]`, from a postponed annotation (a string) or an evaluated one."""
    annotation = str(importlib.import_module(module).__annotations__[name])
    found = re.search(r"TableStore\[(?:ForwardRef\()?['\"]?(\w+)", annotation)
    assert found, f"{module}.{name} is annotated {annotation!r}, not TableStore[...]"
    return found.group(1)


def test_every_declared_store_names_the_class_its_annotation_names() -> None:
    # Given every store the wiring (and a handler with its own) declares
    declared = _declared_stores()
    assert len(declared) > 20
    for module, name, store in declared:
        # When its adapter path is imported
        module_path, _, class_name = f"billing.adapters.{store.adapter}".rpartition(".")
        adapter = getattr(importlib.import_module(module_path), class_name)
        # Then it is a class, the very one the annotation gives mypy
        assert isinstance(adapter, type), f"{module}.{name}: {store.adapter} is not a class"
        assert adapter.__name__ == _annotated_class(module, name), f"{module}.{name}"


def test_a_store_binds_the_tables_and_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a store not called yet, with the table binding counted
    bound: list[None] = []
    monkeypatch.setattr(billing.wiring, "bind_tables", lambda: bound.append(None))
    store: TableStore[DynamoSpendAlerts] = TableStore("dynamo.spend_alerts.DynamoSpendAlerts")
    # When it is called twice
    first, second = store(), store()
    # Then the tables were bound once and both calls answer the one store of that class
    assert isinstance(first, DynamoSpendAlerts)
    assert first is second
    assert len(bound) == 1


def test_importing_the_wiring_imports_no_adapter() -> None:
    # Given a fresh interpreter, as at a Lambda's cold start
    modules = [m.__name__ for m in _wiring_modules() if m.__name__.startswith("billing.wiring.")]
    # When every wiring module is imported, without calling a builder
    imported = cold_import(modules[0], lambda_environment(), *modules[1:])
    # Then no adapter (and none of the libraries behind them) was loaded
    assert not [m for m in imported.all_modules if m.startswith("billing.adapters")]
    assert not imported.loaded("pynamodb")
    assert not imported.loaded("boto3")
