"""`billing customer erase`: erase a customer's personal data (docs/privacy.md).

`billing customer erase --tenant T CUSTOMER [--operator NAME] --yes` pseudonymises the customer's
invoices (kept for bookkeeping's seven years), deletes their pages, customer record, Autogiro mandate
and usage, keeps the identity behind the pseudonym apart until the bookkeeping years end, and writes
`customer_erased` on each invoice's audit trail. Prints what was done as JSON. Refused (exit 2) while
the customer owes money.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "customer", help="customers' personal data (docs/privacy.md)", description=__doc__
    )
    commands = parser.add_subparsers(dest="customer_command", required=True, metavar="SUBCOMMAND")
    erase = commands.add_parser("erase", help="pseudonymise the invoices, delete the rest (audited)")
    erase.add_argument("customer", help="the customer id")
    erase.add_argument("--tenant", required=True)
    erase.add_argument("--operator", help="who erases (for the audit trail); default: your user name")
    erase.add_argument("--yes", action="store_true", help="really erase: it cannot be undone")
    erase.set_defaults(func=run_erase)


def run_erase(args: argparse.Namespace) -> int:
    from billing.handlers.wiring import erase_customer
    from billing.services.errors import PermanentError

    if not args.yes:
        print("error: erasure cannot be undone: add --yes", file=sys.stderr)
        return EXIT_BAD_INPUT
    operator = args.operator or getpass.getuser()
    try:
        report = erase_customer()(args.tenant, args.customer, operator)
    except PermanentError as error:
        print(f"error: {error.field or 'customer'}: {error.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(report.to_dict(), indent=2))
    return 0
