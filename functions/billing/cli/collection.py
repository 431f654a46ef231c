"""`billing collection export`: hand selected overdue invoices to a collection partner, as a CSV.

Only ever an operator's explicit action, one invoice at a time by id: nothing runs it automatically.
`billing collection export --tenant T --invoice I [--invoice J ...] --operator NAME [--out FILE]`
writes the CSV (columns in docs/dunning.md, amounts in minor units, interest counted through today)
and one `exported_for_collection` audit entry per invoice naming the operator. Any invoice that may
not be handed over (paid, not overdue, a question open, never reminded) stops the export with
`error: <row>: <reason>` and exit code 2; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from billing.cli.common import command_group, refused


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers, "collection", "hand invoices to a collection partner (docs/dunning.md)", __doc__
    )
    export = commands.add_parser(
        "export", help="write the CSV for the invoices you select", description=__doc__
    )
    export.add_argument("--tenant", required=True)
    export.add_argument("--invoice", required=True, action="append", help="an invoice id; repeat for more")
    export.add_argument("--operator", required=True, help="who decides the hand-over (audit trail)")
    export.add_argument("--out", type=Path, help="the CSV file to write (default: stdout)")
    export.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from billing.domain.dunning import DunningError
    from billing.services.errors import PermanentError
    from billing.wiring.core import export_for_collection

    try:
        csv_text = export_for_collection()(args.tenant, args.invoice, args.operator)
    except (PermanentError, DunningError) as error:
        return refused(error.field or "collection", error.reason)
    if args.out:
        args.out.write_text(csv_text, encoding="utf-8", newline="")
        print(f"wrote {len(args.invoice)} invoice(s) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(csv_text)
    return 0
