"""`billing customer` and `billing subscription`: the merchant's customer and subscription verbs from a
shell, through the same use cases (and checks) as the HTTP API (billing.services.customers,
billing.services.subscriptions). Answers are the API's JSON documents, printed on stdout; a refused
request prints `error: FIELD: reason` on stderr and exits 2.

`erase` pseudonymises the customer's invoices (kept for bookkeeping's seven years), deletes their
pages, customer record, Autogiro mandate and usage, keeps the identity behind the pseudonym apart until
the bookkeeping years end, and writes `customer_erased` on each invoice's audit trail. Refused (exit 2)
while the customer owes money.

    billing customer create --tenant T FILE          (FILE: the API's JSON body; - reads stdin)
    billing customer update --tenant T ID FILE
    billing customer get --tenant T ID
    billing customer list --tenant T [--limit N] [--cursor C]
    billing customer erase --tenant T ID [--operator NAME] --yes   (docs/privacy.md)
    billing subscription start --tenant T ID --plan P [--start-date D] [--anchor anniversary] [--preview]
    billing subscription change --tenant T ID --plan P [--preview]
    billing subscription cancel --tenant T ID [--at now|period_end] [--preview]
    billing subscription get --tenant T ID
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from billing.cli.common import EXIT_BAD_INPUT, answer, command_group, read_json, refused, verb


def register(subparsers: Any) -> None:
    verbs = command_group(
        subparsers, "customer", "customers (docs/api.md)", __doc__, metavar="VERB", raw=True
    )
    create = verb(verbs, "create", "create a customer from the API's JSON body", run_customer_create)
    create.add_argument("file", metavar="FILE", help="JSON body (- for stdin)")
    update = verb(verbs, "update", "change the fields the JSON body names", run_customer_update)
    update.add_argument("customer_id", metavar="ID")
    update.add_argument("file", metavar="FILE", help="JSON body (- for stdin)")
    get = verb(verbs, "get", "show a customer", run_customer_get)
    get.add_argument("customer_id", metavar="ID")
    listing = verb(verbs, "list", "list customers, a page at a time", run_customer_list)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--cursor")
    erase = verb(verbs, "erase", "pseudonymise the invoices, delete the rest (audited)", run_erase)
    erase.add_argument("customer", metavar="ID", help="the customer id")
    erase.add_argument("--operator", help="who erases (for the audit trail); default: your user name")
    erase.add_argument("--yes", action="store_true", help="really erase: it cannot be undone")

    verbs = command_group(
        subparsers, "subscription", "subscriptions (docs/api.md)", __doc__, metavar="VERB", raw=True
    )
    start = verb(verbs, "start", "start a customer's subscription", run_subscription_start, preview=True)
    start.add_argument("customer_id", metavar="ID")
    start.add_argument("--plan", required=True)
    start.add_argument("--start-date", help="YYYY-MM-DD (default: today)")
    start.add_argument("--anchor", choices=("calendar", "anniversary"), default="calendar")
    change = verb(
        verbs,
        "change",
        "upgrade now (invoiced) or downgrade at period end",
        run_subscription_change,
        preview=True,
    )
    change.add_argument("customer_id", metavar="ID")
    change.add_argument("--plan", required=True)
    cancel = verb(
        verbs,
        "cancel",
        "cancel now (unused days credited) or at period end",
        run_subscription_cancel,
        preview=True,
    )
    cancel.add_argument("customer_id", metavar="ID")
    cancel.add_argument("--at", choices=("now", "period_end"), default="period_end")
    show = verb(verbs, "get", "show a customer's subscription", run_subscription_get)
    show.add_argument("customer_id", metavar="ID")


def run_customer_create(args: argparse.Namespace) -> int:
    from billing.services.customers.fields import CustomerCreate
    from billing.wiring import merchant as w

    return answer(
        lambda: w.create_customer()(args.tenant, CustomerCreate.model_validate(read_json(args.file)))
    )


def run_customer_update(args: argparse.Namespace) -> int:
    from billing.services.customers.fields import CustomerUpdate
    from billing.wiring import merchant as w

    return answer(
        lambda: w.update_customer()(
            args.tenant, args.customer_id, CustomerUpdate.model_validate(read_json(args.file))
        )
    )


def run_customer_get(args: argparse.Namespace) -> int:
    from billing.wiring import merchant as w

    return answer(lambda: w.get_customer()(args.tenant, args.customer_id))


def run_customer_list(args: argparse.Namespace) -> int:
    from billing.services.customers.list import MAX_LIMIT
    from billing.wiring import merchant as w

    return answer(lambda: w.list_customers()(args.tenant, max(1, min(args.limit, MAX_LIMIT)), args.cursor))


def run_subscription_start(args: argparse.Namespace) -> int:
    from billing.services.subscriptions.fields import SubscriptionStart
    from billing.wiring import merchant as w

    def start() -> Any:
        body = {"plan": args.plan, "anchor": args.anchor}
        if args.start_date:
            body["start_date"] = args.start_date
        return w.start_subscription()(
            args.tenant, args.customer_id, SubscriptionStart.model_validate(body), preview=args.preview
        )

    return answer(start)


def run_subscription_change(args: argparse.Namespace) -> int:
    from billing.services.subscriptions.fields import PlanChange
    from billing.wiring import merchant as w

    return answer(
        lambda: w.change_plan()(
            args.tenant,
            args.customer_id,
            PlanChange.model_validate({"plan": args.plan}),
            preview=args.preview,
        )
    )


def run_subscription_cancel(args: argparse.Namespace) -> int:
    from billing.services.subscriptions.fields import Cancellation
    from billing.wiring import merchant as w

    return answer(
        lambda: w.cancel_subscription()(
            args.tenant, args.customer_id, Cancellation.model_validate({"at": args.at}), preview=args.preview
        )
    )


def run_subscription_get(args: argparse.Namespace) -> int:
    from billing.wiring import merchant as w

    return answer(lambda: w.get_subscription()(args.tenant, args.customer_id))


def run_erase(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.customer import erase_customer

    if not args.yes:
        print("error: erasure cannot be undone: add --yes", file=sys.stderr)
        return EXIT_BAD_INPUT
    operator = args.operator or getpass.getuser()
    try:
        report = erase_customer()(args.tenant, args.customer, operator)
    except PermanentError as error:
        return refused(error.field or "customer", error.reason)
    print(json.dumps(report.to_dict(), indent=2))
    return 0
