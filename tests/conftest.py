"""Shared fixtures: the local stack for integration and browser tests (DynamoDB Local and moto
server over HTTP).

Started once per test session, private to it (LOCAL_STACK_REUSE=1 reuses the recorded one), and
provisioned from template.yaml, with the local HTTP server (pages + HttpApi routes) in front. Tests
isolate themselves by tenant id: every key carries the tenant, so no test sees another's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.local_server import LocalServer
from infra.local_stack import LocalStack
from infra.template import load_template


def _powertools_env_before_any_import() -> None:
    """Lambda sets a function's environment before it imports the function's module, and Powertools'
    Logger and Metrics read their service and namespace when the module creates them. A unit test that
    imports a handler (the OpenAPI document's, say) before the local stack's environment is applied
    would otherwise leave them without a namespace for the rest of the session, and a later metric
    flush fails. So the template's POWERTOOLS_* settings are in place from the first import."""
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if name.startswith("POWERTOOLS_") and isinstance(value, str):
            os.environ.setdefault(name, value)


_powertools_env_before_any_import()


@dataclass
class LocalEnv:
    stack: LocalStack
    server: LocalServer
    env: dict[str, str]

    @property
    def moto_url(self) -> str:
        return self.stack.state.moto_url

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service)


@pytest.fixture(scope="session")
def local_env() -> Iterator[LocalEnv]:
    # A private stack per test session: concurrent sessions (and a running `make demo`) never share
    # or reset each other's data. LOCAL_STACK_REUSE=1 reuses the recorded one instead (faster loops).
    if os.environ.get("LOCAL_STACK_REUSE") == "1":
        stack = LocalStack.ensure()
        stack.reset()
    else:
        stack = LocalStack.private()
    env = stack.env()
    os.environ.update(env)
    import boto3

    server = LocalServer(s3=boto3.client("s3"), bucket=env["PAGES_BUCKET"])
    env["PAGES_BASE_URL"] = env["API_BASE_URL"] = server.url
    os.environ.update(env)
    server.start()
    try:
        yield LocalEnv(stack, server, env)
    finally:
        server.stop()
        if stack.started_here:
            stack.stop()


@pytest.fixture
def tenant_id() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------------
# The browser. Screenshots go to artifacts/e2e/ (kept by CI as test artifacts). Chromium must be at
# /usr/bin/chromium; `make test` installs it with apt-get when missing. Without it browser tests fail,
# they do not skip: the browser test is part of the contract.

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "e2e"
# Chromium's background services try to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """TEST_TIMINGS=FILE appends each test phase's wall time as it finishes (`nodeid<TAB>phase<TAB>
    seconds<TAB>outcome`, phases over 50 ms), so a long run can be read while it goes and summed file by
    file; pytest's --durations prints only at the end, and not at all when a run is stopped."""
    path = os.environ.get("TEST_TIMINGS")
    # Under pytest-xdist the controller receives every worker's reports too: it alone writes.
    if path and report.duration >= 0.05 and not os.environ.get("PYTEST_XDIST_WORKER"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{report.nodeid}\t{report.when}\t{report.duration:.2f}\t{report.outcome}\n")


@pytest.fixture(autouse=True)
def _each_function_held_what_it_used() -> Iterator[None]:
    """Every request a handler made in the test was allowed by its function's policies in template.yaml
    (infra.local_iam): a refusal a job swallowed (one invoice failing among many) fails the test too."""
    from infra import local_iam

    before = len(local_iam.REFUSED)
    yield
    refused = sorted(set(local_iam.REFUSED[before:]))
    assert not refused, "template.yaml's policies refused: " + "; ".join(refused)
