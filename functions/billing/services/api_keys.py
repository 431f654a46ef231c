"""Per-tenant API keys with a scope: what a key may reach, and only ever within its own tenant.

A key is `bk_` + 256 random bits, shown once at creation (`billing apikey create`); only its SHA-256
is stored, with the tenant and the scope. Two scopes:

- `usage`: `POST /v1/usage` only (the key a metering pipeline holds, as before scopes existed);
- `full`: every merchant route (`/v1/customers`, ...), usage included.

The key is the only thing that names the tenant: no route reads a tenant id from the request, so a key
can never reach another tenant's data. A revoked key stops working within the adapter's cache minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Protocol

from billing.services.errors import PermanentError
from billing.services.ports import SCOPE_FULL as SCOPE_FULL
from billing.services.ports import SCOPE_USAGE as SCOPE_USAGE
from billing.services.ports import SCOPES, KeyGrant, TenantDirectory

API_KEY_PREFIX = "bk_"
MAX_KEY_LENGTH = 200


def hash_api_key(api_key: str) -> str:
    """What is stored for a key: its SHA-256 (hex). Keys are 256 random bits, so no salt is needed.
    The hash is also the key's id, the handle to revoke it by when the key itself is lost."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class ApiKeyStore(Protocol):
    def put(
        self, key_hash: str, tenant_id: str, prefix: str, label: str | None, now: datetime, scope: str
    ) -> None: ...


class KeyGrants(Protocol):
    def grant_for(self, key_hash: str) -> KeyGrant | None:
        """The grant of an existing, unrevoked key; None otherwise."""
        ...


class KeyRevoker(Protocol):
    def revoke(self, key_hash: str, tenant_id: str, now: datetime) -> bool:
        """Mark the tenant's key revoked; False when no such key belongs to that tenant."""
        ...


def create_api_key(
    store: ApiKeyStore,
    tenants: TenantDirectory,
    tenant_id: str,
    label: str | None,
    now: datetime,
    scope: str = SCOPE_USAGE,
) -> str:
    """A new key for an existing tenant; only its hash is stored, so this is the one time it is seen."""
    if scope not in SCOPES:
        raise PermanentError(f"must be one of {', '.join(SCOPES)}; got {scope!r}", field="scope")
    tenants.get(tenant_id)  # refuses an unknown tenant (PermanentError, field tenant_id)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    store.put(hash_api_key(key), tenant_id, key[:10], label, now, scope)
    return key


def grant_for_key(keys: KeyGrants, api_key: str | None) -> KeyGrant | None:
    """The grant of an API key, or None for a missing, malformed, unknown or revoked key."""
    if not api_key or len(api_key) > MAX_KEY_LENGTH or not api_key.isascii():
        return None
    return keys.grant_for(hash_api_key(api_key))


def revoke_api_key(store: KeyRevoker, tenant_id: str, key_or_id: str, now: datetime) -> str:
    """Revoke one of the tenant's keys, given the key itself or its id (the hash printed at creation).
    Returns the id. Another tenant's key, or an unknown one, is refused naming the field `key`."""
    text = key_or_id.strip()
    is_id = len(text) == 64 and all(c in "0123456789abcdef" for c in text)
    key_hash = text if is_id else hash_api_key(text)
    if not store.revoke(key_hash, tenant_id, now):
        raise PermanentError(f"tenant {tenant_id!r} has no such key", field="key")
    return key_hash
