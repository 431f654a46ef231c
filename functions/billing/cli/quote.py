"""`billing quote SCENARIO.json`: price a documented scenario (docs/pricing.md) and print the invoice.

Prints the invoice as JSON on stdout. Bad input prints `error: <field>: <reason>` on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import quote_scenario

EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "quote",
        help="price a scenario (tenant, catalog, customer, subscription, usage) and print the invoice",
        description="Price a JSON scenario and print the invoice as JSON. Format: docs/pricing.md.",
    )
    parser.add_argument("scenario", type=Path, help="the scenario file (JSON), or - for stdin")
    parser.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    parser.set_defaults(func=run)


def _exact_decimal(text: str) -> Decimal:
    # A JSON number with a fraction is read as the exact Decimal it spells, never as a float.
    return Decimal(text)


def run(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if str(args.scenario) == "-" else args.scenario.read_text(encoding="utf-8")
    except OSError as error:
        print(f"error: {args.scenario}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        data = json.loads(text, parse_float=_exact_decimal)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        print(f"error: scenario: not JSON ({where}): {error.msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = quote_scenario(data)
    except ScenarioError as error:
        print(f"error: {error.field}: {error.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    indent = None if args.compact else 2
    print(json.dumps(result, indent=indent, ensure_ascii=False))
    return 0
