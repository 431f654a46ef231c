"""`billing events list|replay|endpoints` and `billing audit`: the merchant's events and the money
audit trail, for operators (docs/events.md).

- `billing events list --tenant T --invoice I` (or `--customer C`: mandates and subscription changes;
  `--batch B`: a usage batch's rejections): the stream's outbox events, by sequence, with the effects
  still to do (JSON lines).
- `billing events replay --tenant T --invoice I|--customer C|--batch B --seq N`: publish that event to
  the bus and the endpoints again (same id: a receiver that saw it de-duplicates).
- `billing events drive [--tenant T --invoice I|--customer C|--batch B]`: finish pending effects now
  (one stream, or the sweep of everything pending), instead of waiting for the schedule.
- `billing events endpoints list|add|remove --tenant T [--url U] [--events a,b] [--id ID]`: webhook
  endpoints; `add` prints the signing secret once.
- `billing audit --tenant T INVOICE` / `billing audit --tenant T --customer C`: the money audit trail.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from billing.cli.common import command_group, refused


def register(subparsers: Any) -> None:
    commands = command_group(subparsers, "events", "merchant events and webhooks (docs/events.md)", __doc__)
    listing = commands.add_parser("list", help="a stream's events, by sequence")
    listing.add_argument("--tenant", required=True)
    _stream_arguments(listing)
    listing.set_defaults(func=run_list)
    replaying = commands.add_parser("replay", help="publish one event again (same id)")
    replaying.add_argument("--tenant", required=True)
    _stream_arguments(replaying)
    replaying.add_argument("--seq", required=True, type=int)
    replaying.set_defaults(func=run_replay)
    driving = commands.add_parser("drive", help="finish pending effects now")
    driving.add_argument("--tenant")
    _stream_arguments(driving, required=False)
    driving.set_defaults(func=run_drive)
    endpoints = commands.add_parser("endpoints", help="webhook endpoints per tenant")
    verbs = endpoints.add_subparsers(dest="endpoints_command", required=True, metavar="VERB")
    ls = verbs.add_parser("list")
    ls.add_argument("--tenant", required=True)
    ls.set_defaults(func=run_endpoints_list)
    add = verbs.add_parser("add")
    add.add_argument("--tenant", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--events", default="*", help="comma-separated types, prefix.* or * (default)")
    add.set_defaults(func=run_endpoints_add)
    rm = verbs.add_parser("remove")
    rm.add_argument("--tenant", required=True)
    rm.add_argument("--id", required=True)
    rm.set_defaults(func=run_endpoints_remove)

    audit = subparsers.add_parser("audit", help="the money audit trail of an invoice or a customer")
    audit.add_argument("--tenant", required=True)
    audit.add_argument("invoice", nargs="?", help="the invoice id")
    audit.add_argument("--customer", help="every entry of this customer instead")
    audit.set_defaults(func=run_audit)


def _stream_arguments(parser: Any, *, required: bool = True) -> None:
    which = parser.add_mutually_exclusive_group(required=required)
    which.add_argument("--invoice", help="the invoice's stream (money, reminders, relief, questions)")
    which.add_argument("--customer", help="the customer's stream (mandates, subscription changes)")
    which.add_argument("--batch", help="a usage batch's stream (usage.rejected; its batch_id)")


def _stream(args: argparse.Namespace) -> str:
    from billing.domain.merchant_events import customer_stream, usage_stream
    from billing.domain.outbox import invoice_stream

    if args.invoice:
        return invoice_stream(args.invoice)
    if args.customer:
        return customer_stream(args.customer)
    return usage_stream(args.batch)


def _line(value: dict[str, Any]) -> None:
    print(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def run_list(args: argparse.Namespace) -> int:
    from billing.wiring.outbox import outbox_store

    for event in outbox_store().events(args.tenant, _stream(args)):
        line = {**event.envelope(), "effects": list(event.effects), "pending": list(event.pending)}
        if event.context:  # what an effect needs that the merchant is not told
            line["context"] = event.context
        _line(line)
    return 0


def replay(tenant_id: str, invoice_id: str, seq: int) -> bool:
    from billing.domain.outbox import invoice_stream

    return replay_stream(tenant_id, invoice_stream(invoice_id), seq)


def replay_stream(tenant_id: str, stream: str, seq: int) -> bool:
    from billing.wiring.outbox import merchant_events, outbox_store

    event = outbox_store().get(tenant_id, stream, seq)
    if event is None:
        return False
    merchant_events().publish(event)
    return True


def run_replay(args: argparse.Namespace) -> int:
    stream = _stream(args)
    if not replay_stream(args.tenant, stream, args.seq):
        return refused("seq", f"{stream} has no event {args.seq}")
    print(f"replayed {stream} #{args.seq}", file=sys.stderr)
    return 0


def run_drive(args: argparse.Namespace) -> int:
    from billing.wiring.outbox import drive_outbox

    if args.invoice or args.customer or args.batch:
        if not args.tenant:
            return refused("tenant", "a stream needs --tenant")
        finished = drive_outbox().stream(args.tenant, _stream(args))
    else:
        finished = drive_outbox().sweep(datetime.now(UTC))
    print(f"{finished} events finished", file=sys.stderr)
    return 0


def run_endpoints_list(args: argparse.Namespace) -> int:
    from billing.wiring.outbox import manage_endpoints

    for e in manage_endpoints().list(args.tenant):
        _line({"id": e.endpoint_id, "url": e.url, "events": list(e.event_types), "enabled": e.enabled})
    return 0


def run_endpoints_add(args: argparse.Namespace) -> int:
    from billing.services.errors import PermanentError
    from billing.wiring.outbox import manage_endpoints

    types = tuple(t.strip() for t in args.events.split(",") if t.strip())
    try:
        endpoint = manage_endpoints().add(args.tenant, args.url, types)
    except PermanentError as error:
        return refused(error.field, error.reason)
    _line({"id": endpoint.endpoint_id, "url": endpoint.url, "events": list(types), "secret": endpoint.secret})
    return 0


def run_endpoints_remove(args: argparse.Namespace) -> int:
    from billing.wiring.outbox import manage_endpoints

    if not manage_endpoints().remove(args.tenant, args.id):
        return refused("id", f"no endpoint {args.id}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from billing.domain.audit_trail import accounted_amount_due
    from billing.wiring.outbox import money_audit

    if bool(args.invoice) == bool(args.customer):
        return refused("invoice", "give an invoice id or --customer, not both")
    if args.customer:
        entries = money_audit().for_customer(args.tenant, args.customer)
    else:
        entries = money_audit().for_invoice(args.tenant, args.invoice)
    for e in entries:
        _line(
            {
                "invoice_id": e.invoice_id,
                "customer_id": e.customer_id,
                "seq": e.seq,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "reason": e.reason,
                "event_id": e.event_id,
                "currency": e.currency,
                "before": e.before,
                "after": e.after,
                "change": e.change,
            }
        )
    if args.invoice:
        print(f"accounted amount due: {accounted_amount_due(entries)}", file=sys.stderr)
    return 0
