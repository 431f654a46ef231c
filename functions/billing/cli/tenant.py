"""`billing tenant create FILE.yaml` / `billing tenant update FILE.yaml`: a tenant's legal details,
invoice series, bankgiro, catalog, page settings and reminder policy from one YAML (or JSON) file,
checked whole before anything is stored (billing.services.tenants). An error names the field as the
file spells it (`error: settings.bankgiro: ...`) and exits 2; nothing is written then. A running
function reads tenant settings once per warm container, so an update reaches it within its lifetime.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from billing.cli.common import command_group, refused


def register(subparsers: Any) -> None:
    verbs = command_group(
        subparsers, "tenant", "onboard or update a tenant from a YAML file", __doc__, metavar="VERB"
    )
    for name, help_text in (
        ("create", "store a new tenant"),
        ("update", "replace an existing tenant's documents"),
    ):
        verb = verbs.add_parser(name, help=help_text, description=__doc__)
        verb.add_argument("file", metavar="FILE.yaml")
        verb.set_defaults(func=run, verb=name)


def run(args: argparse.Namespace) -> int:
    import yaml

    from billing.adapters.dynamo.tenants import DynamoTenantStore
    from billing.services.errors import PermanentError
    from billing.services.tenants.onboard import OnboardTenant
    from billing.wiring.core import bind_tables

    try:
        data = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        return refused("(file)", error)
    bind_tables()
    onboard = OnboardTenant(DynamoTenantStore())
    try:
        document = onboard.create(data) if args.verb == "create" else onboard.update(data)
    except PermanentError as error:
        return refused(error.field, error.reason)
    plans = ", ".join(p.get("code", "?") for p in document.catalog.get("plans", []))
    print(f"tenant {document.tenant_id} {args.verb}d: plans {plans}", file=sys.stderr)
    return 0
