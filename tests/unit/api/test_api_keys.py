"""API keys with scopes: what a key grants, revoking, and that a tenant reaches only its own keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from billing.services.api_keys import (
    SCOPE_FULL,
    SCOPE_USAGE,
    KeyGrant,
    create_api_key,
    grant_for_key,
    hash_api_key,
    revoke_api_key,
)
from billing.services.errors import PermanentError

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)


class FakeTenants:
    def get(self, tenant_id: str) -> object:
        if tenant_id not in ("t1", "t2"):
            raise PermanentError(f"unknown tenant {tenant_id!r}", field="tenant_id")
        return object()


@dataclass
class FakeKeys:
    rows: dict[str, dict[str, object]] = field(default_factory=dict)

    def put(
        self, key_hash: str, tenant_id: str, prefix: str, label: str | None, now: datetime, scope: str
    ) -> None:
        self.rows[key_hash] = {"tenant_id": tenant_id, "scope": scope, "revoked": False}

    def grant_for(self, key_hash: str) -> KeyGrant | None:
        row = self.rows.get(key_hash)
        if row is None or row["revoked"]:
            return None
        return KeyGrant(str(row["tenant_id"]), str(row["scope"]))

    def revoke(self, key_hash: str, tenant_id: str, now: datetime) -> bool:
        row = self.rows.get(key_hash)
        if row is None or row["tenant_id"] != tenant_id:
            return False
        row["revoked"] = True
        return True


def test_a_usage_key_reaches_usage_only_and_a_full_key_everything():
    keys = FakeKeys()
    usage = create_api_key(keys, FakeTenants(), "t1", None, NOW)  # the default scope, as before
    full = create_api_key(keys, FakeTenants(), "t1", "backend", NOW, SCOPE_FULL)
    usage_grant, full_grant = grant_for_key(keys, usage), grant_for_key(keys, full)
    assert usage_grant == KeyGrant("t1", SCOPE_USAGE) and full_grant == KeyGrant("t1", SCOPE_FULL)
    assert usage_grant.allows(SCOPE_USAGE) and not usage_grant.allows(SCOPE_FULL)
    assert full_grant.allows(SCOPE_USAGE) and full_grant.allows(SCOPE_FULL)
    # Only hashes are stored
    assert usage not in str(keys.rows) and full not in str(keys.rows)


def test_an_unknown_scope_is_refused_naming_the_field():
    with pytest.raises(PermanentError) as refused:
        create_api_key(FakeKeys(), FakeTenants(), "t1", None, NOW, "admin")
    assert refused.value.field == "scope"


@pytest.mark.parametrize("key", [None, "", "bk_" + "x" * 300, "bk_ä", "Bearer"])
def test_malformed_keys_grant_nothing(key):
    assert grant_for_key(FakeKeys(), key) is None


def test_a_revoked_key_grants_nothing_whether_revoked_by_key_or_by_id():
    keys = FakeKeys()
    first = create_api_key(keys, FakeTenants(), "t1", None, NOW, SCOPE_FULL)
    second = create_api_key(keys, FakeTenants(), "t1", None, NOW, SCOPE_FULL)
    assert revoke_api_key(keys, "t1", first, NOW) == hash_api_key(first)
    assert revoke_api_key(keys, "t1", hash_api_key(second), NOW) == hash_api_key(second)
    assert grant_for_key(keys, first) is None and grant_for_key(keys, second) is None


def test_a_tenant_cannot_revoke_another_tenants_key():
    # Given t2's key, When t1's operator tries to revoke it, Then it is refused and still works
    keys = FakeKeys()
    theirs = create_api_key(keys, FakeTenants(), "t2", None, NOW, SCOPE_FULL)
    with pytest.raises(PermanentError) as refused:
        revoke_api_key(keys, "t1", theirs, NOW)
    assert refused.value.field == "key"
    assert grant_for_key(keys, theirs) == KeyGrant("t2", SCOPE_FULL)
