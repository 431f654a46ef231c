"""`billing bgmax parse FILE [--compact]`: a BgMax file (Bankgiro Inbetalningar) as JSON.

Every deposit, payment, deduction and extra reference with its codes and their meanings, the payer as
Bankgirot reports it, the totals and any warnings (docs/bgmax.md). A file that cannot be read prints
one line, `error: line N: <field>: <reason>`, on stderr and exits 2; nothing is printed on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.domain.bgmax.records import to_jsonable

EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bgmax",
        help="Bankgirot BgMax files of incoming payments: parse them (docs/bgmax.md)",
        description="Work with BgMax files (Bankgiro Inbetalningar). Format notes: docs/bgmax.md.",
    )
    commands = parser.add_subparsers(dest="bgmax_command", required=True, metavar="SUBCOMMAND")
    parse = commands.add_parser(
        "parse",
        help="print a BgMax file as JSON",
        description="Parse a BgMax file and print its deposits and payments as JSON.",
    )
    parse.add_argument("file", type=Path, help="the file (ISO-8859-1, as Bankgirot sends it), or - for stdin")
    parse.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    parse.set_defaults(func=run_parse)


def run_parse(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    except OSError as error:
        print(f"error: {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        parsed = parse_bgmax(data)
    except BgMaxParseError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(to_jsonable(parsed), indent=None if args.compact else 2, ensure_ascii=False))
    return 0
