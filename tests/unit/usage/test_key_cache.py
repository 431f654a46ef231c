"""The usage API-key cache stays bounded: unknown keys are never cached, known ones at most N."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamo.models import ApiKeyModel
from billing.adapters.dynamo.usage import DynamoApiKeys

KNOWN = {f"known-{n}": SimpleNamespace(tenant_id="t1", revoked_at=None, scope="usage") for n in range(50)}


@pytest.fixture
def reads(monkeypatch):
    calls: list[str] = []

    def get(key_hash: str) -> SimpleNamespace:
        calls.append(key_hash)
        if key_hash not in KNOWN:
            raise DoesNotExist()
        return KNOWN[key_hash]

    monkeypatch.setattr(ApiKeyModel, "get", staticmethod(get))
    return calls


def test_forty_thousand_random_keys_leave_nothing_in_the_cache(reads):
    keys = DynamoApiKeys(max_entries=10)
    assert all(keys.tenant_for(f"random-{n}") is None for n in range(40_000))
    assert len(keys._cache) == 0 and len(reads) == 40_000


def test_known_keys_are_cached_up_to_the_bound_oldest_out_first(reads):
    keys = DynamoApiKeys(max_entries=10)
    for n in range(50):
        assert keys.tenant_for(f"known-{n}") == "t1"
    assert len(keys._cache) == 10 and next(iter(keys._cache)) == "known-40"
    before = len(reads)
    assert keys.tenant_for("known-49") == "t1" and len(reads) == before  # a hit: no read
    assert keys.tenant_for("known-0") == "t1" and len(reads) == before + 1  # evicted: read again
