"""`billing invoice create` and `billing creditnote create|get|list`: one-off invoices and credit notes
from a shell, through the same use cases (and checks) as the HTTP API (billing.services.invoices.create,
billing.services.credit_notes). Answers are the API's JSON documents on stdout; a refused request
prints `error: FIELD: reason` on stderr and exits 2.

`--key` plays the API's Idempotency-Key: one key per intended document. Run the same command with the
same key again after a failure and it finds the document it issued (and finishes its page and email)
instead of issuing a second one.

    billing invoice create --tenant T --key K CUSTOMER_ID FILE [--preview]    (FILE: {"items": [...]})
    billing creditnote create --tenant T --key K INVOICE_ID [FILE] [--preview] (no FILE: all that is left)
    billing creditnote get --tenant T CREDIT_NOTE_ID
    billing creditnote list --tenant T INVOICE_ID
"""

from __future__ import annotations

import argparse
from typing import Any

from billing.cli.common import answer, command_group, read_json, verb


def register(subparsers: Any) -> None:
    verbs = command_group(
        subparsers, "invoice", "one-off invoices (docs/api.md)", __doc__, metavar="VERB", raw=True
    )
    create = verb(verbs, "create", "issue a one-off invoice of items", run_invoice_create, preview=True)
    create.add_argument("customer_id", metavar="CUSTOMER_ID")
    create.add_argument("file", metavar="FILE", help='JSON body {"items": [...]} (- for stdin)')
    _key(create)

    verbs = command_group(
        subparsers, "creditnote", "credit notes (docs/api.md)", __doc__, metavar="VERB", raw=True
    )
    credit = verb(
        verbs, "create", "credit an invoice, whole or by line", run_credit_note_create, preview=True
    )
    credit.add_argument("invoice_id", metavar="INVOICE_ID")
    credit.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help='JSON body {"lines": [...], "reason": ...}; none: all that is left',
    )
    _key(credit)
    get = verb(verbs, "get", "show a credit note", run_credit_note_get)
    get.add_argument("credit_note_id", metavar="CREDIT_NOTE_ID")
    listing = verb(verbs, "list", "an invoice's credit notes", run_credit_note_list)
    listing.add_argument("invoice_id", metavar="INVOICE_ID")


def _key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, help="one key per intended document; the same key again issues nothing new"
    )


def run_invoice_create(args: argparse.Namespace) -> int:
    from billing.services.invoices.fields import OneOffInvoiceCreate
    from billing.wiring import merchant as w

    return answer(
        lambda: w.create_one_off_invoice()(
            args.tenant,
            args.customer_id,
            OneOffInvoiceCreate.model_validate(read_json(args.file)),
            request_key=args.key,
            preview=args.preview,
        )
    )


def run_credit_note_create(args: argparse.Namespace) -> int:
    from billing.services.credit_notes.fields import CreditNoteCreate
    from billing.wiring import merchant as w

    return answer(
        lambda: w.create_credit_note()(
            args.tenant,
            args.invoice_id,
            CreditNoteCreate.model_validate(read_json(args.file) if args.file else {}),
            request_key=args.key,
            preview=args.preview,
        )
    )


def run_credit_note_get(args: argparse.Namespace) -> int:
    from billing.wiring import merchant as w

    return answer(lambda: w.get_credit_note()(args.tenant, args.credit_note_id))


def run_credit_note_list(args: argparse.Namespace) -> int:
    from billing.wiring import merchant as w

    return answer(lambda: w.get_credit_note().of_invoice(args.tenant, args.invoice_id))
