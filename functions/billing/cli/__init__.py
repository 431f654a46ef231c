"""The `billing` command for operators: one sub-command module per job.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. Modules are imported lazily so `billing quote` does not pay
for boto3 and friends.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command modules, by the first word after `billing`.
COMMANDS: dict[str, str] = {
    "report": "billing.cli.report",
    "apikey": "billing.cli.apikey",
    "autogiro": "billing.cli.autogiro",
    "collection": "billing.cli.collection",
    "customer": "billing.cli.customer",
    "subscription": "billing.cli.customer",
    "tenant": "billing.cli.tenant",
    "question": "billing.cli.question",
    "quote": "billing.cli.quote",
    "run": "billing.cli.run",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description="Operate the billing system.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in sorted(set(COMMANDS.values())):
        module = importlib.import_module(module_name)
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
