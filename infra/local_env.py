"""The template's environment on the local stack: while a function's handler runs (infra.local_lambda),
each setting it reads (billing.settings) must be one of the variables template.yaml gives that function
(Globals' and its own Environment's). One process runs every function here with every variable set, so
without this a function whose Environment lacks a variable its code reads would pass every test and
fail with a ConfigError on AWS.

A read the function was not given is recorded in infra.local_iam.REFUSED (a test with one fails; so
does `make demo`) and raised as the ConfigError AWS would raise. Reads outside a handler (the CLI, a
test's own setup) are not checked. Each switch from one function to another is a cold start
(`cold_start_on_switch`), so what a use case reads once and keeps is read again by each function that
builds it. The tables, queues and bucket a function uses are held to its environment on every request
besides: IAM's check allows only what its policies grant, and a function is given the variable of
each resource granted to it and no other (tests/unit/test_function_environment.py).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from infra import local_iam
from infra.template import function_environment, shared_template

_installed = False
_last_function: list[str] = []
_switch = threading.Lock()


def given(function: str) -> frozenset[str]:
    """The names of the variables template.yaml gives `function`."""
    return frozenset(function_environment(shared_template(), function))


def refusal(function: str, variable: str) -> str | None:
    if variable in given(function):
        return None
    return f"{function} reads {variable}, which its Environment in template.yaml does not set"


def install() -> None:
    """Hold every settings read made while a handler runs to its function's environment.
    LOCAL_IAM=off turns this off with the policy check (the benchmark)."""
    global _installed
    if _installed or os.environ.get("LOCAL_IAM") == "off":
        return
    from billing.settings import ConfigError, Settings

    original = Settings.value

    def checked(self: Any, name: str) -> str:
        function = local_iam.CURRENT.get()
        reason = None if function is None else refusal(function, name)
        if reason is not None:
            local_iam.REFUSED.append(reason)
            raise ConfigError(f"missing environment variable {name}: {reason}")
        return original(self, name)

    Settings.value = checked  # type: ignore[method-assign]
    _installed = True


def cold_start_on_switch(function: str) -> None:
    """Forget every use case and store the wiring built (and the settings) whenever a handler of another
    function runs than the last: each function then builds, and reads, its own, as in its own Lambda
    container, and a value a use case reads once and keeps is held to each function's environment
    that uses it. It found the payments API building the page publisher, and so reading a bucket it is
    not given. A test that swaps a part of a built use case must also swap what builds it (the dunning
    tests' rates do). Off with the check (LOCAL_IAM=off), or alone with LOCAL_COLD_STARTS=0."""
    if os.environ.get("LOCAL_COLD_STARTS") == "0" or os.environ.get("LOCAL_IAM") == "off":
        return
    with _switch:
        if _last_function == [function]:
            return
        _last_function[:] = [function]
        for module in list(sys.modules.values()):
            if not getattr(module, "__name__", "").startswith("billing."):
                continue
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()
                elif type(value).__name__ == "TableStore":  # billing.wiring.TableStore's built store
                    value.__dict__.pop("_store", None)
