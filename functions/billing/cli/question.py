"""`billing question list|answer`: read and answer the questions customers asked on their invoice pages.

`billing question list --tenant T [--order oldest] [--limit N] [--cursor C]` prints the tenant's open
questions across invoices, each with its invoice and customer (the same use case as `GET
/v1/questions`); `--invoice I` prints one invoice's questions, open and answered.

`billing question answer --tenant T --invoice I --question Q --text "..." [--operator NAME]` stores
the answer on the invoice, emails it to the customer, re-renders the page and writes the audit
entry. Once every question on the invoice is answered, reminders resume by themselves after the
tenant's `resume_grace_days` (docs/dunning.md).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from billing.cli.common import command_group, refused


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers, "question", "customers' questions on invoices (docs/dunning.md)", __doc__
    )
    listing = commands.add_parser(
        "list",
        help="print the tenant's open questions (or, with --invoice, one invoice's) as JSON",
        description="Without --invoice: the tenant's open questions across invoices, each with its "
        "invoice and customer, a page at a time (GET /v1/questions); the next page's cursor goes to "
        "stderr. With --invoice: that invoice's questions, open and answered.",
    )
    listing.add_argument("--tenant", required=True)
    listing.add_argument("--invoice", help="the invoice id: its questions, open and answered")
    listing.add_argument("--order", choices=("newest", "oldest"), default="newest", help="by when asked")
    listing.add_argument("--limit", type=int, default=50, help="questions per page (1-100)")
    listing.add_argument("--cursor", help="the next page's cursor, as the previous page printed it")
    listing.set_defaults(func=run_list)
    answer = commands.add_parser("answer", help="answer a question: stored, emailed, shown on the page")
    answer.add_argument("--tenant", required=True)
    answer.add_argument("--invoice", required=True, help="the invoice id")
    answer.add_argument("--question", required=True, help="the question id (see `billing question list`)")
    answer.add_argument("--text", required=True, help="the answer, as the customer will read it")
    answer.add_argument("--operator", help="who answers (for the audit trail); default: your user name")
    answer.set_defaults(func=run_answer)


def run_list(args: argparse.Namespace) -> int:
    from billing.wiring.core import invoice_ledger

    if args.invoice is None:
        return run_open(args)
    stored = invoice_ledger().get(args.tenant, args.invoice)
    if stored is None:
        return refused("invoice", f"no invoice {args.invoice}")
    print(json.dumps(list(stored.questions), indent=2, ensure_ascii=False))
    return 0


def run_open(args: argparse.Namespace) -> int:
    from billing.services.customers.list import MAX_LIMIT
    from billing.services.errors import PermanentError
    from billing.wiring.merchant import open_questions

    if not 1 <= args.limit <= MAX_LIMIT:
        return refused("limit", f"between 1 and {MAX_LIMIT}")
    try:
        page = open_questions()(args.tenant, args.limit, args.cursor, args.order)
    except PermanentError as error:
        return refused(error.field, error.reason)
    print(json.dumps(page.model_dump(mode="json")["data"], indent=2, ensure_ascii=False))
    if page.next_cursor:
        print(f"more: --cursor {page.next_cursor}", file=sys.stderr)
    return 0


def run_answer(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.core import answer_question

    operator = args.operator or getpass.getuser()
    try:
        stored = answer_question()(args.tenant, args.invoice, args.question, args.text, operator)
    except PermanentError as error:
        return refused(error.field or "question", error.reason)
    state = "all questions answered" if not stored.question_open else "other questions still open"
    print(f"answered {args.question} on {args.invoice}: {state}", file=sys.stderr)
    return 0
