"""`billing apikey create|revoke`: per-tenant API keys with a scope (billing.services.api_keys).

`create --tenant T [--scope usage|full] [--label L]` prints the key once on stdout and its id (the
SHA-256, the only thing stored) on stderr: it cannot be shown again, so keep it or create another.
`revoke --tenant T KEY_OR_ID` revokes one of T's keys by the key or its id; within a minute no warm
function accepts it any more. Runs against whatever AWS (or local stack) the environment points at,
with the table names from the same environment variables the functions get.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from billing.cli.common import command_group, refused


def register(subparsers: Any) -> None:
    commands = command_group(subparsers, "apikey", "API keys: usage-only or full (docs/api.md)", __doc__)
    create = commands.add_parser(
        "create", help="create a key for a tenant and print it once", description=__doc__
    )
    create.add_argument("--tenant", required=True, help="the tenant whose data the key reaches")
    create.add_argument(
        "--scope",
        choices=("usage", "full"),
        default="usage",
        help="usage: POST /v1/usage only (default); full: every merchant route",
    )
    create.add_argument("--label", help="what the key is for (stored, never secret)")
    create.set_defaults(func=run_create)
    revoke = commands.add_parser("revoke", help="revoke one of a tenant's keys", description=__doc__)
    revoke.add_argument("--tenant", required=True, help="the tenant the key belongs to")
    revoke.add_argument("key", metavar="KEY_OR_ID", help="the key, or its id printed at creation")
    revoke.set_defaults(func=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.usage import DynamoApiKeys
    from billing.services.api_keys import create_api_key, hash_api_key
    from billing.services.errors import PermanentError
    from billing.wiring.core import bind_tables, tenant_directory

    bind_tables()
    try:
        key = create_api_key(
            DynamoApiKeys(), tenant_directory(), args.tenant, args.label, datetime.now(UTC), args.scope
        )
    except PermanentError as error:
        return refused(error.field or "apikey", error.reason)
    print(key)
    print(
        f"{args.scope} key for tenant {args.tenant}, id {hash_api_key(key)} (only the id is stored): "
        "keep the key now, it is not shown again",
        file=sys.stderr,
    )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.usage import DynamoApiKeys
    from billing.services.api_keys import revoke_api_key
    from billing.services.errors import PermanentError
    from billing.wiring.core import bind_tables

    bind_tables()
    try:
        key_id = revoke_api_key(DynamoApiKeys(), args.tenant, args.key, datetime.now(UTC))
    except PermanentError as error:
        return refused(error.field or "apikey", error.reason)
    print(f"revoked key {key_id} of tenant {args.tenant}", file=sys.stderr)
    return 0
