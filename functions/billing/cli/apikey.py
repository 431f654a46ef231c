"""`billing apikey create --tenant T [--label L]`: a usage API key for `POST /v1/usage`.

The key is printed once on stdout; only its SHA-256 is stored (ApiKeysTable), so it cannot be shown
again: create another and hand that one out instead. Runs against whatever AWS (or local stack) the
environment points at, with the table names from the same environment variables the functions get.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "apikey", help="usage API keys (docs/usage.md)", description="Manage usage API keys."
    )
    commands = parser.add_subparsers(dest="apikey_command", required=True, metavar="SUBCOMMAND")
    create = commands.add_parser(
        "create", help="create a key for a tenant and print it once", description=__doc__
    )
    create.add_argument("--tenant", required=True, help="the tenant the key writes usage for")
    create.add_argument("--label", help="what the key is for (shown in listings, never secret)")
    create.set_defaults(func=run_create)


def run_create(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.usage import DynamoApiKeys
    from billing.handlers.wiring import bind_tables, tenant_directory
    from billing.services.errors import PermanentError
    from billing.services.ingest_usage import create_api_key

    bind_tables()
    try:
        key = create_api_key(DynamoApiKeys(), tenant_directory(), args.tenant, args.label, datetime.now(UTC))
    except PermanentError as error:
        print(f"error: {error.field or 'apikey'}: {error.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(key)
    print(
        f"stored for tenant {args.tenant} (hash only): keep the key now, it is not shown again",
        file=sys.stderr,
    )
    return 0
