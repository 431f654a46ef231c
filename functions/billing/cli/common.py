"""What the `billing` sub-command modules share: a command's group of verbs, the options several take,
reading a file argument or stdin, printing JSON, and the one-line refusal `error: FIELD: reason`
(exit 2) that every command answers bad input with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2
BANK_FILE_HELP = "the file (ISO-8859-1, as Bankgirot sends it), or - for stdin"


def command_group(
    subparsers: Any,
    name: str,
    help_text: str,
    description: str | None,
    *,
    metavar: str = "SUBCOMMAND",
    raw: bool = False,
) -> Any:
    """The parser of command `name` and the sub-parsers of its verbs (chosen one in
    `args.<name>_command`). `raw` keeps the description's own line breaks (a module docstring's usage
    lines)."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter,
    )
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar=metavar)


def tenant_option(parser: argparse.ArgumentParser, *, described: bool = True) -> None:
    """`--tenant`, by default $BILLING_TENANT or demo (the local stack's tenant)."""
    parser.add_argument(
        "--tenant",
        default=os.environ.get("BILLING_TENANT", "demo"),
        help="the tenant (default: $BILLING_TENANT or demo)" if described else None,
    )


def refused(field: object, reason: object) -> int:
    """Bad input: one line on stderr naming the field, and the exit code that says so."""
    print(f"error: {field}: {reason}", file=sys.stderr)
    return EXIT_BAD_INPUT


def read_input(path: Path, *, text: bool = False) -> Any:
    """The file a command's argument names, or stdin for `-`: bytes, or with `text` the text (a file
    as UTF-8). An OSError is the caller's to name."""
    if str(path) == "-":
        return sys.stdin.read() if text else sys.stdin.buffer.read()
    return path.read_text(encoding="utf-8") if text else path.read_bytes()


def print_json(data: Any, *, compact: bool = False) -> None:
    print(json.dumps(data, indent=None if compact else 2, ensure_ascii=False))


def bank_file_parse(
    commands: Any,
    help_text: str,
    description: str,
    func: Callable[[argparse.Namespace], int],
    *,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """The `parse FILE [--compact]` verb of a Bankgirot file format, with the format's own `options`
    between the file and --compact."""
    parse = commands.add_parser("parse", help=help_text, description=description)
    parse.add_argument("file", type=Path, help=BANK_FILE_HELP)
    if options is not None:
        options(parse)
    parse.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    parse.set_defaults(func=func)


def print_parsed(args: argparse.Namespace, parse: Callable[[bytes], Any], unreadable: type[Exception]) -> int:
    """Read `args.file`, parse it and print the JSON of it; a file that cannot be read or parsed is
    refused by its path, or by the line and field the parser's `unreadable` error names."""
    try:
        data = read_input(args.file)
    except OSError as error:
        return refused(args.file, error.strerror)
    try:
        result = parse(data)
    except unreadable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print_json(result, compact=args.compact)
    return 0


def verb(
    verbs: Any,
    name: str,
    help_text: str,
    func: Callable[[argparse.Namespace], int],
    *,
    preview: bool = False,
    tenant_help: str | None = "the tenant whose customer it is",
) -> argparse.ArgumentParser:
    """A verb that acts for one `--tenant` (required), optionally with `--preview`."""
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--tenant", required=True, help=tenant_help)
    if preview:
        parser.add_argument(
            "--preview", action="store_true", help="show what would be invoiced, write nothing"
        )
    parser.set_defaults(func=func)
    return parser


def read_json(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    return json.loads(text)


def answer(call: Callable[[], Any]) -> int:
    """Run a use case and print its JSON, or the first field at fault, as the API would name it."""
    from pydantic import ValidationError

    from billing.services.customers.update import InvalidFields
    from billing.services.errors import PermanentError, validation_errors

    try:
        result = call()
    except ValidationError as error:
        field, reason = validation_errors([{**e, "loc": ("body", *e["loc"])} for e in error.errors()])[0]
        return refused(field, reason)
    except InvalidFields as error:
        field, reason = error.errors[0]
        return refused(field, reason)
    except (PermanentError, json.JSONDecodeError, OSError) as error:
        return refused(getattr(error, "field", None) or "input", getattr(error, "reason", error))
    print(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0
