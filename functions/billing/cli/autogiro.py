"""`billing autogiro parse FILE` / `billing autogiro export --date D`: Bankgirot Autogiro files.

`parse` reads a Bankgirot Autogiro file and prints it as JSON.

Any Autogiro file, to or from Bankgirot (new layout): the JSON holds the typed records, with
`"kind"` naming the report and, with `--outcomes`, what each record means for our mandates and
invoices. A file that cannot be read prints `error: line N: <field>: <reason>` on stderr and
exits 2. `--seal-key` checks the TK00/TK99 seal of a sealed request file.

`cancel --customer C [--tenant T]` ends a customer's mandate: the next request file cancels it (TK03).

`export --date D [--tenant T] [--out FILE]` writes tenant T's request file as the daily schedule
would at 09:00 Swedish time on D, or now if that is later (to `autogiro/outbox/<tenant>/` in the
pages bucket, settings from the environment) and prints what went in and what was held back.
Running it twice orders no debit twice.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from billing.cli.common import bank_file_parse, command_group, print_parsed, refused, tenant_option
from billing.domain.autogiro.outcomes import outcomes_of
from billing.domain.autogiro.parser import AutogiroParseError, parse_file
from billing.domain.autogiro.records import to_jsonable


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers,
        "autogiro",
        "Bankgirot Autogiro files: parse them (docs/autogiro.md)",
        "Work with Bankgirot Autogiro files. Format notes: docs/autogiro.md.",
    )
    bank_file_parse(
        commands,
        "print an Autogiro file as JSON",
        "Parse an Autogiro file (to or from Bankgirot) and print its records as JSON.",
        run_parse,
        options=_parse_options,
    )
    export = commands.add_parser(
        "export",
        help="write the request file for a date (mandates, cancellations, debits)",
        description="Write a tenant's Autogiro request file for a date, as the daily schedule would.",
    )
    export.add_argument("--date", required=True, type=date.fromisoformat, help="the day, YYYY-MM-DD")
    tenant_option(export)
    export.add_argument("--out", type=Path, help="also save the file here")
    export.set_defaults(func=run_export)
    cancel = commands.add_parser(
        "cancel",
        help="end a customer's Autogiro mandate (TK03 in the next request file)",
        description="End a customer's Autogiro mandate: the next request file cancels it at Bankgirot.",
    )
    tenant_option(cancel, described=False)
    cancel.add_argument("--customer", required=True, help="the customer id")
    cancel.set_defaults(func=run_cancel)


def _parse_options(parse: argparse.ArgumentParser) -> None:
    parse.add_argument(
        "--outcomes", action="store_true", help="add what the report means for mandates and invoices"
    )
    parse.add_argument(
        "--seal-key", metavar="HEX", help="check a sealed request file's HMAC seal with this key"
    )


def run_parse(args: argparse.Namespace) -> int:
    def described(data: bytes) -> dict[str, Any]:
        parsed = parse_file(data, seal_key=args.seal_key)
        result = to_jsonable(parsed)
        if args.outcomes:
            result["outcomes"] = to_jsonable(outcomes_of(parsed))
        return result

    return print_parsed(args, described, AutogiroParseError)


def run_export(args: argparse.Namespace) -> int:
    from billing.services.autogiro import export_moment
    from billing.services.errors import PermanentError
    from billing.wiring.core import export_autogiro

    try:
        # Never earlier than now: Bankgirot's deadlines are judged on the real moment of writing.
        moment = max(export_moment(args.date), datetime.now(UTC))
        result = export_autogiro()(args.tenant, moment)
    except PermanentError as error:
        return refused(error.field or "export", error.reason)
    if args.out is not None and result.key is not None:
        from billing.adapters.autogiro import S3AutogiroFiles
        from billing.settings import settings

        args.out.write_bytes(S3AutogiroFiles(settings().pages_bucket).read(result.key))
    summary = {
        "tenant_id": result.tenant_id,
        "key": result.key,
        "mandates": result.mandates,
        "cancellations": result.cancellations,
        "debits": [{"invoice_id": i, "payment_date": d.isoformat()} for i, d in result.debits],
        "announced": [{"invoice_id": i, "debit_date": d.isoformat()} for i, d in result.announced],
        "held": [{"item": h.item_id, "reason": h.reason.name, "detail": h.detail} for h in result.held],
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.core import cancel_autogiro_mandate

    try:
        mandate = cancel_autogiro_mandate()(args.tenant, args.customer)
    except PermanentError as error:
        return refused(error.field or "cancel", error.reason)
    print(
        json.dumps(
            {
                "customer_id": mandate.customer_id,
                "payer_number": mandate.payer_number,
                "status": mandate.status.value,
            }
        )
    )
    return 0
