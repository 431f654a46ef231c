"""Settings per function (billing.settings): a variable is read when asked for, one the function was
not given is named; a table model whose variable is missing names it at its first request; and the
local stack's cold start at a switch of function forgets what the wiring built (infra/local_env.py)."""

from __future__ import annotations

import sys
import types
from functools import cache

import pytest
from pynamodb.attributes import UnicodeAttribute

from billing.adapters.dynamo import models
from billing.adapters.dynamo.models.base import UNBOUND, TableModel
from billing.settings import ConfigError, Settings
from infra import local_env


def test_a_variable_is_read_when_asked_for_and_a_missing_one_is_named() -> None:
    # Given a function given its invoice table and a pages address with a trailing slash, not its bucket
    env = {
        "INVOICES_TABLE": "billing-InvoicesTable-1",
        "PAGES_BASE_URL": "https://pages.example/",
        "PAGES_BUCKET": " ",
    }
    settings = Settings(env)
    # Then what it was given reads, an address without its slash
    assert settings.invoices_table == "billing-InvoicesTable-1"
    assert settings.pages_base_url == "https://pages.example"
    # And a variable it lacks, or was given blank, is a ConfigError naming it, never a value of ""
    for missing, read in (
        ("SENDER_EMAIL", lambda: settings.sender_email),
        ("PAGES_BUCKET", lambda: settings.pages_bucket),
    ):
        with pytest.raises(ConfigError, match=missing):
            read()
    assert (
        settings.get("PAGES_BUCKET") is None and settings.get("INVOICES_TABLE") == "billing-InvoicesTable-1"
    )
    # And the names are the template's
    assert "STRIPE_REFS_TABLE" in Settings.variables() and len(Settings.variables()) == len(
        set(Settings.variables())
    )


class _ProbeModel(TableModel):
    probe_id = UnicodeAttribute(hash_key=True)


def test_a_table_the_function_is_not_given_is_refused_by_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a model whose table's variable the function's environment lacks
    monkeypatch.setattr(models, "MODELS_BY_TABLE_SETTING", {"probe_table": _ProbeModel})
    models.bind(Settings({}))
    assert _ProbeModel.Meta.table_name == UNBOUND
    # Then its first request names the variable, before any call to AWS
    with pytest.raises(ConfigError, match="PROBE_TABLE"):
        _ProbeModel.get("x")
    # And once given, the model is bound to it
    models.bind(Settings({"PROBE_TABLE": "billing-Probe-1"}))
    assert _ProbeModel.Meta.table_name == "billing-Probe-1"


def test_a_switch_of_function_is_a_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a wiring module whose builder has built once, as function A
    built: list[int] = []

    @cache
    def builder() -> int:
        built.append(1)
        return len(built)

    module = types.ModuleType("billing.cold_start_probe")
    module.builder = builder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "billing.cold_start_probe", module)
    monkeypatch.delenv("LOCAL_COLD_STARTS", raising=False)
    monkeypatch.delenv("LOCAL_IAM", raising=False)
    monkeypatch.setattr(local_env, "_last_function", [])
    local_env.cold_start_on_switch("AFunction")
    assert builder() == 1
    # When A runs again, it keeps what it built; when B runs, B builds its own
    local_env.cold_start_on_switch("AFunction")
    assert builder() == 1
    local_env.cold_start_on_switch("BFunction")
    assert builder() == 2
    # And with LOCAL_COLD_STARTS=0 a switch keeps it
    monkeypatch.setenv("LOCAL_COLD_STARTS", "0")
    local_env.cold_start_on_switch("AFunction")
    assert builder() == 2
