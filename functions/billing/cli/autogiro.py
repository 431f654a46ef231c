"""`billing autogiro parse FILE`: read a Bankgirot Autogiro file and print it as JSON.

Any Autogiro file, to or from Bankgirot (new layout): the JSON holds the typed records, with
`"kind"` naming the report and, with `--outcomes`, what each record means for our mandates and
invoices. A file that cannot be read prints `error: line N: <field>: <reason>` on stderr and
exits 2. `--seal-key` checks the TK00/TK99 seal of a sealed request file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from billing.domain.autogiro.outcomes import outcomes_of
from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import to_jsonable

EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "autogiro",
        help="Bankgirot Autogiro files: parse them (docs/autogiro.md)",
        description="Work with Bankgirot Autogiro files. Format notes: docs/autogiro.md.",
    )
    commands = parser.add_subparsers(dest="autogiro_command", required=True, metavar="SUBCOMMAND")
    parse = commands.add_parser(
        "parse",
        help="print an Autogiro file as JSON",
        description="Parse an Autogiro file (to or from Bankgirot) and print its records as JSON.",
    )
    parse.add_argument("file", type=Path, help="the file (ISO-8859-1, as Bankgirot sends it), or - for stdin")
    parse.add_argument(
        "--outcomes", action="store_true", help="add what the report means for mandates and invoices"
    )
    parse.add_argument(
        "--seal-key", metavar="HEX", help="check a sealed request file's HMAC seal with this key"
    )
    parse.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    parse.set_defaults(func=run_parse)


def run_parse(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    except OSError as error:
        print(f"error: {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        parsed = parse_file(data, seal_key=args.seal_key)
    except AutogiroParseError as error:
        print(f"error: line {error.line_no}: {error.field}: {error.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = to_jsonable(parsed)
    if args.outcomes:
        result["outcomes"] = to_jsonable(outcomes_of(parsed))
    print(json.dumps(result, indent=None if args.compact else 2, ensure_ascii=False))
    return 0
