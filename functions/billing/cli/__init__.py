"""The `billing` command for operators: one sub-command module per job.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. Modules are imported lazily so `billing quote` does not pay
for boto3 and friends.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
from typing import NoReturn

# Sub-command modules, by the first word after `billing`.
COMMANDS: dict[str, str] = {
    "report": "billing.cli.report",
    "apikey": "billing.cli.apikey",
    "catalog": "billing.cli.catalog",
    "autogiro": "billing.cli.autogiro",
    "bgmax": "billing.cli.bgmax",
    "collection": "billing.cli.collection",
    "payments": "billing.cli.payments",
    "customer": "billing.cli.customer",
    "subscription": "billing.cli.customer",
    "tenant": "billing.cli.tenant",
    "question": "billing.cli.question",
    "quote": "billing.cli.quote",
    "run": "billing.cli.run",
    "events": "billing.cli.events",
    "audit": "billing.cli.events",
    "invoice": "billing.cli.ledger",
    "creditnote": "billing.cli.ledger",
}


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage and then the error; an operator's error is one line, naming the help.
    Sub-command parsers are of the same class (add_subparsers uses the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    # Built once per process: argparse looks its messages up through gettext for every argument, and
    # the tests and the demo call `main` hundreds of times in one process (a parser is reusable:
    # parse_args writes into a new namespace each time).
    parser = OneLineParser(prog="billing", description="Operate the billing system.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in sorted(set(COMMANDS.values())):
        module = importlib.import_module(module_name)
        module.register(sub)
    return parser


EXIT_FAILED = 1


def main(argv: list[str] | None = None) -> int:
    """Run one command. Every failure is one line on stderr, never a traceback: the commands' own
    errors name their field; a missing stack environment says so; anything else is one line with
    its type. A reader that closes the pipe early (`billing quote ... | head`) ends it quietly."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader has what it wanted. Point stdout at /dev/null so the interpreter's final flush
        # does not fail again, and exit as a finished command.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last resort: one line, whatever it was
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    return result


def _one_line(error: Exception) -> str:
    from billing.settings import ConfigError

    if isinstance(error, ConfigError):
        return (
            f"{error} (this command needs the stack's environment: on the local stack, "
            'eval "$(python -m infra.local_stack env)"; on AWS, eval "$(python -m infra.stack_env STACK)")'
        )
    text = " ".join(str(error).split()) or "no details"
    return f"{type(error).__name__}: {text[:300]}"


if __name__ == "__main__":
    sys.exit(main())
