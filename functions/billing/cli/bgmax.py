"""`billing bgmax parse FILE [--compact]`: a BgMax file (Bankgiro Inbetalningar) as JSON.

Every deposit, payment, deduction and extra reference with its codes and their meanings, the payer as
Bankgirot reports it, the totals and any warnings (docs/bgmax.md). A file that cannot be read prints
one line, `error: line N: <field>: <reason>`, on stderr and exits 2; nothing is printed on stdout.
"""

from __future__ import annotations

import argparse
from typing import Any

from billing.cli.common import bank_file_parse, command_group, print_parsed
from billing.domain.bgmax.parser import BgMaxParseError, parse_bgmax
from billing.domain.bgmax.records import to_jsonable


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers,
        "bgmax",
        "Bankgirot BgMax files of incoming payments: parse them (docs/bgmax.md)",
        "Work with BgMax files (Bankgiro Inbetalningar). Format notes: docs/bgmax.md.",
    )
    bank_file_parse(
        commands,
        "print a BgMax file as JSON",
        "Parse a BgMax file and print its deposits and payments as JSON.",
        run_parse,
    )


def run_parse(args: argparse.Namespace) -> int:
    return print_parsed(args, lambda data: to_jsonable(parse_bgmax(data)), BgMaxParseError)
