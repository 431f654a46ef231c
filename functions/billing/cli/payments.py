"""`billing payments`: bank payments that need a person (docs/bgmax.md); Stripe ids indexed once.

`unmatched [--tenant T]` lists the payments from BgMax files with money no invoice took (a wrong or
missing OCR number, a deduction without a credit note), with what the payer wrote and who paid.
`assign PAYMENT INVOICE [--tenant T] [--by NAME]` books such a payment on an invoice (its id, number
or OCR number): audited as the operator's decision, then settled like every payment (receipt, page,
reminders stop). `reverse PAYMENT --reason TEXT [--tenant T] [--by NAME]` takes a booked payment back
(the money went back to the payer): each invoice it paid is owed again, audited.
`deposits [--tenant T]` lists the deposits (TK15) as the bank statement shows them.
`index-refs [--tenant T | --unmarked]` puts the Stripe id items of the invoices and customers stored
before StripeRefsTable existed (docs/payments.md), once after that upgrade, and marks the tenant;
`--unmarked` does so for every tenant not marked yet. Running it again changes nothing.
Settings come from the environment (the local stack's, or the deployed functions').
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from billing.cli.common import command_group, refused, tenant_option


def register(subparsers: Any) -> None:
    commands = command_group(
        subparsers,
        "payments",
        "bank payments: the unmatched list, assigning one by hand, deposits (docs/bgmax.md); index-refs",
        "Bank payments from BgMax files that need a person.",
    )
    unmatched = commands.add_parser("unmatched", help="list payments no invoice took")
    tenant_option(unmatched)
    unmatched.set_defaults(func=run_unmatched)
    assign = commands.add_parser("assign", help="book an unmatched payment on an invoice")
    assign.add_argument("payment", help="the payment id from `billing payments unmatched`")
    assign.add_argument("invoice", help="the invoice id, number or OCR number")
    tenant_option(assign)
    assign.add_argument("--by", default=None, help="who decided (default: the login name)")
    assign.set_defaults(func=run_assign)
    reverse = commands.add_parser("reverse", help="take a booked payment back: its invoices are owed again")
    reverse.add_argument("payment", help="the payment id (deposit-position, as listed)")
    reverse.add_argument("--reason", required=True, help="why, for the audit trail")
    tenant_option(reverse)
    reverse.add_argument("--by", default=None, help="who decided (default: the login name)")
    reverse.set_defaults(func=run_reverse)
    deposits = commands.add_parser("deposits", help="list the deposits (TK15) for bookkeeping")
    tenant_option(deposits)
    deposits.set_defaults(func=run_deposits)
    index_refs = commands.add_parser(
        "index-refs", help="index the Stripe ids of invoices and customers stored before StripeRefsTable"
    )
    tenant_option(index_refs)
    index_refs.add_argument(
        "--unmarked", action="store_true", help="every tenant not marked indexed yet, instead of --tenant"
    )
    index_refs.set_defaults(func=run_index_refs)


def _fail(error: Any) -> int:
    return refused(error.field or "payments", error.reason)


def run_unmatched(args: argparse.Namespace) -> int:
    from billing.services.bank_payments import UnmatchedPayments
    from billing.wiring.bank import bank_ledger

    print(json.dumps(UnmatchedPayments(ledger=bank_ledger())(args.tenant), indent=2, ensure_ascii=False))
    return 0


def run_assign(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.bank import assign_bank_payment

    by = args.by or getpass.getuser()
    try:
        record = assign_bank_payment()(args.tenant, args.payment, args.invoice, actor_id=by)
    except PermanentError as error:
        return _fail(error)
    booked = [
        {"invoice_id": p["invoice_id"], "amount": p["amount"], "applied": p.get("applied", False)}
        for p in record["parts"]
        if p.get("assigned_by")
    ]
    print(
        json.dumps(
            {"payment": args.payment, "status": record["status"], "booked": booked}, ensure_ascii=False
        )
    )
    return 0


def run_reverse(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.bank import reverse_bank_payment

    try:
        record = reverse_bank_payment()(
            args.tenant, args.payment, args.reason, actor_id=args.by or getpass.getuser()
        )
    except PermanentError as error:
        return _fail(error)
    print(json.dumps({"payment": args.payment, "status": record["status"]}, ensure_ascii=False))
    return 0


def run_deposits(args: argparse.Namespace) -> int:
    from billing.wiring.bank import bank_ledger

    rows = [
        {
            k: d.get(k)
            for k in ("key", "payment_date", "serial", "amount", "count", "account", "file", "status")
        }
        for d in bank_ledger().deposits(args.tenant)
    ]
    print(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


def run_index_refs(args: argparse.Namespace) -> int:
    from billing.adapters.dynamo.stripe_refs import index_tenant
    from billing.services.errors import PermanentError
    from billing.wiring.core import bind_tables

    bind_tables()
    if not args.unmarked:
        try:
            print(json.dumps(index_tenant(args.tenant)))
        except PermanentError as error:
            return _fail(error)
        return 0
    from billing.adapters.dynamo.stripe_refs import unmarked_tenants

    # One line a tenant, as each is done: a run cut short is started again and skips the marked ones.
    for tenant_id in unmarked_tenants():
        print(json.dumps({"tenant_id": tenant_id, **index_tenant(tenant_id)}), flush=True)
    return 0
