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
from typing import Any

import pytest

from infra.local_server import LocalServer
from infra.local_stack import LocalStack


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
