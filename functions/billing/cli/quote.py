"""`billing quote SCENARIO.json`: price a documented scenario (docs/pricing.md) and print the invoice.

Prints the invoice as JSON on stdout. Bad input prints `error: <field>: <reason>` on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing.cli.common import print_json, read_input, refused
from billing.domain.money import decimal_str, exponent, format_amount
from billing.domain.periods import Period
from billing.domain.pricing_errors import ScenarioError
from billing.domain.scenario import quote_scenario


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "quote",
        help="price a scenario (tenant, catalog, customer, subscription, usage) and print the invoice",
        description="Price a JSON scenario and print the invoice as JSON. Format: docs/pricing.md.",
    )
    parser.add_argument("scenario", type=Path, help="the scenario file (JSON), or - for stdin")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    output.add_argument(
        "--table", action="store_true", help="a plain-text table to compare with a spreadsheet"
    )
    parser.set_defaults(func=run)


def _exact_decimal(text: str) -> Decimal:
    # A JSON number with a fraction is read as the exact Decimal it spells, never as a float.
    return Decimal(text)


def run(args: argparse.Namespace) -> int:
    try:
        text = read_input(args.scenario, text=True)
    except OSError as error:
        return refused(args.scenario, error.strerror)
    try:
        data = json.loads(text, parse_float=_exact_decimal)
    except json.JSONDecodeError as error:
        return refused("scenario", f"not JSON (line {error.lineno}, column {error.colno}): {error.msg}")
    try:
        result = quote_scenario(data)
    except ScenarioError as error:
        return refused(error.field, error.reason)
    if args.table:
        print(render_table(result))
    else:
        print_json(result, compact=args.compact)
    return 0


def render_table(result: dict[str, Any]) -> str:
    """The invoice(s) of a quote as plain text: one row per line, then VAT per rate and the totals."""
    if "credit_notes" in result:
        return "\n\n".join(render_table(doc) for doc in [result["invoice"], *result["credit_notes"]])
    if "due_now" in result:
        currency = result["invoice"]["currency"] if result["invoice"] else ""
        due = _major(result["due_now"], currency or "SEK")
        head = f"plan change effective {result['effective_date']}, due now {due} {currency}".rstrip()
        return head if result["invoice"] is None else f"{head}\n\n{render_table(result['invoice'])}"
    currency = result["currency"]
    title = f"{result['kind']} {result['number'] or '(no number yet)'}  issued {result['issue_date']}"
    rows = [title, f"due {result['due_date']}  {result['buyer']['name']}", ""]
    header = f"{'#':>3}  {'description':<42}{'period':<25}{'quantity':>14} {'unit price':>12}"
    rows.append(f"{header}{'amount':>14}{'VAT':>5}")
    for line in result["lines"]:
        period = line["period"]
        when = Period.from_dict(period).label() if period else ""
        description = line["description"] + (f" [{line['proration']}]" if line["proration"] else "")
        unit_price = _major_text(Decimal(line["unit_price"]), currency)
        quantity = f"{line['quantity']} {line['unit']}".strip()
        rows.append(
            f"{line['line_id']:>3}  {description[:41]:<42}{when:<25}{quantity[:14]:>14} {unit_price:>12}"
            f"{_major(line['amount'], currency):>14}{line['vat_rate']:>4}%"
        )
    rows.append("")
    for vat in result["vat"]:
        label = f"VAT {vat['rate']} % on {_major(vat['base'], currency)}"
        rows.append(f"{label:>86}{_major(vat['vat'], currency):>14}")
    for label, key in (
        ("subtotal", "subtotal"),
        ("VAT", "vat_total"),
        ("rounding", "rounding"),
        ("total", "total"),
    ):
        rows.append(f"{label:>86}{_major(result[key], currency):>14}")
    if result.get("balance_applied"):
        rows.append(f"{'credit applied':>86}{_major(-result['balance_applied'], currency):>14}")
        rows.append(f"{'to pay':>86}{_major(result['amount_due'], currency):>14}")
    rows.extend(result["notes"])
    return "\n".join(rows)


def _major(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


def _major_text(minor: Decimal, currency: str) -> str:
    # Unit prices may be below one öre: show them exactly in major units.
    return decimal_str(minor.scaleb(-exponent(currency)))
